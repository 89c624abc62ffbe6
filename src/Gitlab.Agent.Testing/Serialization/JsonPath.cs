using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing;

/// <summary>Reads and writes simple dotted paths (<c>spec.replicas</c> or <c>.spec.replicas</c>) in JSON objects.</summary>
internal static class JsonPath
{
    public static JsonNode? Read(JsonNode? root, string path)
    {
        var node = root;
        foreach (var part in Split(path))
        {
            if (node is JsonObject o)
            {
                node = o[part];
            }
            else if (node is JsonArray a && int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count)
            {
                node = a[i];
            }
            else
            {
                return null;
            }
        }

        return node;
    }

    /// <summary>The scalar at <paramref name="path"/> as Go's fmt would print it, or null if absent.</summary>
    public static string? ReadScalar(JsonNode? root, string path) => Read(root, path) switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "true",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "false",
        JsonNode n => n.ToJsonString(),
    };

    public static long? ReadLong(JsonNode? root, string path) => AsLong(Read(root, path));

    /// <summary>A JSON number as long, whatever CLR type backs the node (JsonElement, int, long, double); null otherwise.</summary>
    public static long? AsLong(JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        if (v.TryGetValue<long>(out var l))
        {
            return l;
        }

        if (v.TryGetValue<int>(out var i))
        {
            return i;
        }

        if (v.TryGetValue<double>(out var d))
        {
            return (long)d;
        }

        return v.TryGetValue<JsonElement>(out var e) && e.TryGetInt64(out var el) ? el : (long)double.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static void Write(JsonObject root, string path, JsonNode? value)
    {
        var parts = Split(path).ToList();
        var node = root;
        for (var i = 0; i < parts.Count - 1; i++)
        {
            if (node[parts[i]] is not JsonObject child)
            {
                child = new JsonObject();
                node[parts[i]] = child;
            }

            node = child;
        }

        node[parts[^1]] = value;
    }

    public static void Remove(JsonObject root, string path)
    {
        var parts = Split(path).ToList();
        var node = root;
        for (var i = 0; i < parts.Count - 1; i++)
        {
            if (node[parts[i]] is not JsonObject child)
            {
                return;
            }

            node = child;
        }

        node.Remove(parts[^1]);
    }

    private static IEnumerable<string> Split(string path) => path.TrimStart('.').Split('.', StringSplitOptions.RemoveEmptyEntries);
}
