using System.Buffers;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace Gitlab.Agent.Tunnel.Internal;

/// <summary>
/// The wire form of grpctool body frames, <c>HttpResponse{data|upgradeData: {bytes data = 1}}</c>, written and read
/// without copying the body bytes: a frame is a few prefix bytes in front of the body, so the agent writes that prefix
/// into space kept free before the bytes it read, and KAS slices the body out of the frame it received.
/// </summary>
internal static class GrpctoolDataFrames
{
    /// <summary>Bytes to keep free in front of a body chunk for <see cref="WritePrefix"/> (two tags, two 5-byte lengths).</summary>
    public const int MaxPrefixLength = 12;

    /// <summary>Tag of <c>HttpResponse.data</c> (field 2, length-delimited).</summary>
    public const byte ResponseData = (2 << 3) | 2;

    /// <summary>Tag of <c>HttpResponse.upgradeData</c> (field 4, length-delimited).</summary>
    public const byte ResponseUpgradeData = (4 << 3) | 2;

    /// <summary>Tag of <c>Data.data</c> / <c>UpgradeData.data</c> (field 1, length-delimited).</summary>
    private const byte BytesField = (1 << 3) | 2;

    /// <summary>
    /// Writes the frame prefix for a body of <paramref name="bodyLength"/> bytes so that it ends where
    /// <paramref name="reserved"/> ends (the body follows it); returns the prefix length.
    /// </summary>
    public static int WritePrefix(Span<byte> reserved, byte outerTag, int bodyLength)
    {
        var inner = 1 + CodedOutputStream.ComputeLengthSize(bodyLength) + bodyLength;
        var length = 1 + CodedOutputStream.ComputeLengthSize(inner) + 1 + CodedOutputStream.ComputeLengthSize(bodyLength);
        var prefix = reserved[^length..];
        prefix[0] = outerTag;
        var at = 1 + WriteVarint(prefix[1..], (uint)inner);
        prefix[at++] = BytesField;
        WriteVarint(prefix[at..], (uint)bodyLength);
        return length;
    }

    /// <summary>
    /// Reads a frame that is exactly <c>outerTag, length, {bytes data = 1}</c> and returns its body as a slice of
    /// <paramref name="payload"/>; false for any other shape (the caller then uses the full parser).
    /// </summary>
    public static bool TryReadBody(ReadOnlySequence<byte> payload, out byte outerTag, out ReadOnlyMemory<byte> body)
    {
        outerTag = 0;
        body = default;
        if (!SequenceMarshal.TryGetReadOnlyMemory(payload, out var frame) || frame.Length < 2)
        {
            return false;
        }

        var span = frame.Span;
        outerTag = span[0];
        var at = 1;
        if (!TryReadVarint(span, ref at, out var inner) || inner != (ulong)(span.Length - at) || at >= span.Length || span[at++] != BytesField
            || !TryReadVarint(span, ref at, out var bodyLength) || bodyLength != (ulong)(span.Length - at))
        {
            return false;
        }

        body = frame[at..];
        return true;
    }

    private static int WriteVarint(Span<byte> destination, uint value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> span, ref int at, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 35 && at < span.Length; shift += 7)
        {
            var b = span[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
