using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>Kind of a <see cref="PathElement"/>, in structured-merge-diff's sort order.</summary>
internal enum PathElementKind
{
    /// <summary>A field or map key (<c>f:name</c>).</summary>
    Field = 0,

    /// <summary>An item of a list-map, by its key fields (<c>k:{"name":"x"}</c>).</summary>
    Key = 1,

    /// <summary>An item of a set list, by value (<c>v:"x"</c>).</summary>
    Value = 2,

    /// <summary>An item of a list by index (<c>i:0</c>).</summary>
    Index = 3,
}

/// <summary>
/// One step of a field path as structured-merge-diff models it. Equality uses the canonical FieldsV1
/// encoding; ordering follows <c>fieldpath.PathElement.Compare</c>.
/// </summary>
internal sealed class PathElement : IEquatable<PathElement>, IComparable<PathElement>
{
    private static readonly JsonSerializerOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private const int FieldCacheLimit = 8192;
    private static readonly ConcurrentDictionary<string, PathElement> FieldCache = new(StringComparer.Ordinal);

    private PathElement(PathElementKind kind, string? name, IReadOnlyList<KeyValuePair<string, JsonNode?>>? key, JsonNode? value, int index)
    {
        Kind = kind;
        Name = name;
        KeyFields = key;
        Value = value;
        Index = index;
        Encoded = kind switch
        {
            PathElementKind.Field => "f:" + name,
            PathElementKind.Key => "k:" + KeyJson(key!),
            PathElementKind.Value => "v:" + ValueJson(value),
            _ => "i:" + index.ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The element's kind.</summary>
    public PathElementKind Kind { get; }

    /// <summary>Field name (fields only).</summary>
    public string? Name { get; }

    /// <summary>Key fields sorted by name (list-map items only).</summary>
    public IReadOnlyList<KeyValuePair<string, JsonNode?>>? KeyFields { get; }

    /// <summary>Item value (set items only).</summary>
    public JsonNode? Value { get; }

    /// <summary>Index (index items only).</summary>
    public int Index { get; }

    /// <summary>FieldsV1 member name: <c>f:…</c>, <c>k:…</c>, <c>v:…</c> or <c>i:…</c>.</summary>
    public string Encoded { get; }

    /// <summary>A field element.</summary>
    public static PathElement Field(string name)
    {
        // Field elements are immutable and compared by value: the common names are shared instead of re-allocated.
        if (FieldCache.TryGetValue(name, out var cached))
        {
            return cached;
        }

        var element = new PathElement(PathElementKind.Field, name, null, null, 0);
        if (FieldCache.Count < FieldCacheLimit)
        {
            FieldCache.TryAdd(name, element);
        }

        return element;
    }

    /// <summary>A list-map item element; the fields are sorted by name.</summary>
    public static PathElement Key(IEnumerable<KeyValuePair<string, JsonNode?>> fields)
        => new(PathElementKind.Key, null, fields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => KeyValuePair.Create(f.Key, f.Value?.DeepClone())).ToList(), null, 0);

    /// <summary>A set item element.</summary>
    public static PathElement OfValue(JsonNode? value) => new(PathElementKind.Value, null, null, value?.DeepClone(), 0);

    /// <summary>An index element.</summary>
    public static PathElement OfIndex(int index) => new(PathElementKind.Index, null, null, null, index);

    /// <summary>Parses a FieldsV1 member name.</summary>
    /// <exception cref="FormatException">The name is not a valid path element.</exception>
    public static PathElement Parse(string encoded)
    {
        if (encoded.Length < 2 || encoded[1] != ':')
        {
            throw new FormatException($"invalid path element {GoFormat.Quote(encoded)}");
        }

        var body = encoded[2..];
        switch (encoded[0])
        {
            case 'f':
                return Field(body);
            case 'k':
                var obj = JsonNode.Parse(body) as JsonObject ?? throw new FormatException($"invalid key in {GoFormat.Quote(encoded)}");
                return Key(obj.Select(p => KeyValuePair.Create(p.Key, p.Value)));
            case 'v':
                return OfValue(JsonNode.Parse(body));
            case 'i':
                return OfIndex(int.Parse(body, NumberStyles.None, CultureInfo.InvariantCulture));
            default:
                throw new FormatException($"invalid path element {GoFormat.Quote(encoded)}");
        }
    }

    /// <summary>The element as structured-merge-diff prints it in conflict messages.</summary>
    public override string ToString() => Kind switch
    {
        PathElementKind.Field => "." + Name,
        PathElementKind.Key => "[" + string.Join(",", KeyFields!.Select(f => f.Key + "=" + ValueText(f.Value))) + "]",
        PathElementKind.Value => "[=" + ValueText(Value) + "]",
        _ => "[" + Index.ToString(CultureInfo.InvariantCulture) + "]",
    };

    /// <inheritdoc />
    public bool Equals(PathElement? other) => other is not null && Encoded == other.Encoded;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PathElement);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Encoded);

    /// <inheritdoc />
    public int CompareTo(PathElement? other)
    {
        if (other is null)
        {
            return 1;
        }

        if (Kind != other.Kind)
        {
            return Kind.CompareTo(other.Kind);
        }

        switch (Kind)
        {
            case PathElementKind.Field:
                return string.CompareOrdinal(Name, other.Name);
            case PathElementKind.Key:
                var left = KeyFields!;
                var right = other.KeyFields!;
                for (var i = 0; ; i++)
                {
                    if (i >= left.Count && i >= right.Count)
                    {
                        return 0;
                    }

                    if (i >= left.Count)
                    {
                        return -1;
                    }

                    if (i >= right.Count)
                    {
                        return 1;
                    }

                    var byName = string.CompareOrdinal(left[i].Key, right[i].Key);
                    if (byName != 0)
                    {
                        return byName;
                    }

                    var byValue = CompareValues(left[i].Value, right[i].Value);
                    if (byValue != 0)
                    {
                        return byValue;
                    }
                }

            case PathElementKind.Value:
                return CompareValues(Value, other.Value);
            default:
                return Index.CompareTo(other.Index);
        }
    }

    /// <summary>structured-merge-diff's total order of values: numbers, strings, booleans, lists, maps, null.</summary>
    internal static int CompareValues(JsonNode? a, JsonNode? b)
    {
        var rankA = Rank(a);
        var rankB = Rank(b);
        if (rankA != rankB)
        {
            return rankA.CompareTo(rankB);
        }

        return rankA switch
        {
            0 => a!.GetValue<double>().CompareTo(b!.GetValue<double>()),
            1 => string.CompareOrdinal(a!.GetValue<string>(), b!.GetValue<string>()),
            2 => a!.GetValue<bool>().CompareTo(b!.GetValue<bool>()),
            5 => 0,
            _ => string.CompareOrdinal(a!.ToJsonString(), b!.ToJsonString()),
        };

        static int Rank(JsonNode? node) => node?.GetValueKind() switch
        {
            JsonValueKind.Number => 0,
            JsonValueKind.String => 1,
            JsonValueKind.True or JsonValueKind.False => 2,
            JsonValueKind.Array => 3,
            JsonValueKind.Object => 4,
            _ => 5,
        };
    }

    private static string ValueText(JsonNode? value) => value?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.String => GoFormat.Quote(value.GetValue<string>()),
        _ => value.ToJsonString(CompactJson),
    };

    private static string ValueJson(JsonNode? value) => value is null ? "null" : value.ToJsonString(CompactJson);

    private static string KeyJson(IReadOnlyList<KeyValuePair<string, JsonNode?>> fields)
    {
        var obj = new JsonObject();
        foreach (var (name, value) in fields)
        {
            obj[name] = value?.DeepClone();
        }

        return obj.ToJsonString(CompactJson);
    }
}
