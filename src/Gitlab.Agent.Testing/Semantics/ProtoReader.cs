namespace Gitlab.Agent.Testing.Semantics;

/// <summary>Minimal protobuf wire-format reader (varint, length-delimited, fixed32/64).</summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    /// <summary>Whether all bytes were read.</summary>
    public readonly bool AtEnd => _position >= _data.Length;

    /// <summary>Reads a field tag; returns the field number and wire type.</summary>
    public (int Field, int WireType) ReadTag()
    {
        var tag = ReadVarint();
        var field = (int)(tag >> 3);
        if (field <= 0)
        {
            throw new FormatException("protobuf: invalid field number 0");
        }

        return (field, (int)(tag & 7));
    }

    /// <summary>Reads a base-128 varint.</summary>
    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw new FormatException("protobuf: truncated varint");
            }

            var b = _data[_position++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new FormatException("protobuf: varint too long");
    }

    /// <summary>Reads a length-delimited value.</summary>
    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw new FormatException("protobuf: truncated length-delimited field");
        }

        var slice = _data.Slice(_position, (int)length);
        _position += (int)length;
        return slice;
    }

    /// <summary>Reads a fixed-size value (wire types 1 and 5) as an unsigned number.</summary>
    public ulong ReadFixed(int wireType)
    {
        var size = wireType == 1 ? 8 : 4;
        if (_position + size > _data.Length)
        {
            throw new FormatException("protobuf: truncated fixed field");
        }

        ulong value = 0;
        for (var i = 0; i < size; i++)
        {
            value |= (ulong)_data[_position + i] << (8 * i);
        }

        _position += size;
        return value;
    }

    /// <summary>Skips a value of the given wire type; returns whether it held anything but zeros/empties.</summary>
    public bool SkipAndCheckEmpty(int wireType) => wireType switch
    {
        0 => ReadVarint() == 0,
        1 or 5 => ReadFixed(wireType) == 0,
        2 => IsEmptyMessage(ReadBytes()),
        _ => throw new FormatException($"protobuf: unsupported wire type {wireType}"),
    };

    /// <summary>
    /// True when bytes are empty or a message whose fields are all zero/empty (gogo-protobuf writes every
    /// non-pointer field, so an unset struct still has bytes).
    /// </summary>
    public static bool IsEmptyMessage(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return true;
        }

        try
        {
            var reader = new ProtoReader(bytes);
            while (!reader.AtEnd)
            {
                var (_, wireType) = reader.ReadTag();
                if (!reader.SkipAndCheckEmpty(wireType))
                {
                    return false;
                }
            }

            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
