using System.Buffers;
using Gitlab.Agent.Tunnel.Internal;
using Google.Protobuf;
using GrpcHttpResponse = Gitlab.Agent.Protocol.Grpctool.HttpResponse;

namespace Gitlab.Agent.Tunnel.Tests.Proxy;

/// <summary>The hand-written body frame prefix and slice agree with protobuf's own encoding, length by length.</summary>
public sealed class GrpctoolDataFramesTests
{
    public static TheoryData<int> Lengths => [1, 127, 128, 16_383, 16_384, 65_536, 2_097_151, 2_097_152];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Written_prefix_plus_body_is_the_protobuf_encoding(int length)
    {
        var body = Body(length);
        var buffer = new byte[GrpctoolDataFrames.MaxPrefixLength + length];
        body.CopyTo(buffer.AsSpan(GrpctoolDataFrames.MaxPrefixLength));

        var prefix = GrpctoolDataFrames.WritePrefix(buffer.AsSpan(0, GrpctoolDataFrames.MaxPrefixLength), GrpctoolDataFrames.ResponseData, length);
        var frame = buffer.AsSpan(GrpctoolDataFrames.MaxPrefixLength - prefix).ToArray();

        var expected = new GrpcHttpResponse { Data = new GrpcHttpResponse.Types.Data { Data_ = ByteString.CopyFrom(body) } }.ToByteArray();
        Assert.Equal(expected, frame);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Body_is_sliced_out_of_data_and_upgrade_frames(int length)
    {
        var body = Body(length);
        var data = new GrpcHttpResponse { Data = new GrpcHttpResponse.Types.Data { Data_ = ByteString.CopyFrom(body) } }.ToByteArray();
        var upgrade = new GrpcHttpResponse { UpgradeData = new GrpcHttpResponse.Types.UpgradeData { Data = ByteString.CopyFrom(body) } }.ToByteArray();

        Assert.True(GrpctoolDataFrames.TryReadBody(new ReadOnlySequence<byte>(data), out var tag, out var slice));
        Assert.Equal(GrpctoolDataFrames.ResponseData, tag);
        Assert.Equal(body, slice.ToArray());

        Assert.True(GrpctoolDataFrames.TryReadBody(new ReadOnlySequence<byte>(upgrade), out tag, out slice));
        Assert.Equal(GrpctoolDataFrames.ResponseUpgradeData, tag);
        Assert.Equal(body, slice.ToArray());
    }

    [Fact]
    public void An_empty_body_round_trips_although_protobuf_would_omit_the_field()
    {
        var buffer = new byte[GrpctoolDataFrames.MaxPrefixLength];
        var prefix = GrpctoolDataFrames.WritePrefix(buffer, GrpctoolDataFrames.ResponseData, 0);
        var frame = buffer.AsSpan(GrpctoolDataFrames.MaxPrefixLength - prefix).ToArray();

        var parsed = GrpcHttpResponse.Parser.ParseFrom(frame);
        Assert.Equal(GrpcHttpResponse.MessageOneofCase.Data, parsed.MessageCase);
        Assert.True(parsed.Data.Data_.IsEmpty);
        Assert.True(GrpctoolDataFrames.TryReadBody(new ReadOnlySequence<byte>(frame), out _, out var body));
        Assert.True(body.IsEmpty);

        // Protobuf's own encoding of an empty body has no inner field: the full parser handles it.
        var omitted = new GrpcHttpResponse { Data = new GrpcHttpResponse.Types.Data() }.ToByteArray();
        Assert.False(GrpctoolDataFrames.TryReadBody(new ReadOnlySequence<byte>(omitted), out _, out _));
    }

    [Fact]
    public void Other_shapes_are_left_to_the_full_parser()
    {
        var header = new GrpcHttpResponse { Header = new GrpcHttpResponse.Types.Header { Response = new Protocol.Prototool.HttpResponse { StatusCode = 200, Status = "200 OK" } } }.ToByteArray();
        var trailer = new GrpcHttpResponse { Trailer = new GrpcHttpResponse.Types.Trailer() }.ToByteArray();
        var data = new GrpcHttpResponse { Data = new GrpcHttpResponse.Types.Data { Data_ = ByteString.CopyFromUtf8("hello") } }.ToByteArray();
        byte[] trailingField = [.. data, 0x1A, 0x00];
        var truncated = data[..^1];

        Assert.False(GrpctoolDataFrames.TryReadBody(new ReadOnlySequence<byte>(trailer), out _, out _));
        Assert.False(GrpctoolDataFrames.TryReadBody(new ReadOnlySequence<byte>(trailingField), out _, out _));
        Assert.False(GrpctoolDataFrames.TryReadBody(new ReadOnlySequence<byte>(truncated), out _, out _));
        if (GrpctoolDataFrames.TryReadBody(new ReadOnlySequence<byte>(header), out var tag, out _))
        {
            // A header frame may happen to have the same shape; its tag tells it apart.
            Assert.NotEqual(GrpctoolDataFrames.ResponseData, tag);
            Assert.NotEqual(GrpctoolDataFrames.ResponseUpgradeData, tag);
        }
    }

    private static byte[] Body(int length)
    {
        var body = new byte[length];
        new Random(length).NextBytes(body);
        return body;
    }
}
