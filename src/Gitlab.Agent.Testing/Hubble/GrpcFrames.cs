using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Google.Protobuf;

namespace Gitlab.Agent.Testing.Hubble;

/// <summary>Reads and writes gRPC length-prefixed frames on raw HTTP/2 request and response bodies.</summary>
internal static class GrpcFrames
{
    public static async Task<T?> ReadSingleAsync<T>(PipeReader reader, MessageParser<T> parser, CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= 5)
            {
                var header = buffer.Slice(0, 5).ToArray();
                if (header[0] != 0)
                {
                    throw new InvalidDataException("compressed request messages are not supported");
                }

                var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
                if (buffer.Length >= 5 + length)
                {
                    var message = parser.ParseFrom(buffer.Slice(5, length));
                    reader.AdvanceTo(buffer.GetPosition(5 + length));
                    return message;
                }
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return default;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public static async Task WriteAsync(PipeWriter writer, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var header = writer.GetSpan(5);
        header[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(header[1..], (uint)payload.Length);
        writer.Advance(5);
        await writer.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
    }

    public static Task WriteAsync(PipeWriter writer, IMessage message, CancellationToken cancellationToken) =>
        WriteAsync(writer, message.ToByteArray(), cancellationToken);
}
