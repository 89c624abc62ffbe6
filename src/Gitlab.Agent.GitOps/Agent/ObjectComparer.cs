using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gitlab.Agent.GitOps.Agent;

/// <summary>
/// Compares desired objects with live ones without churn: only the fields present in the desired object count
/// (fields others add are ignored), list items with a key (<c>name</c>, <c>containerPort</c>, …) are matched by key,
/// numbers compare by value, and server-owned metadata and <c>status</c> are ignored.
/// </summary>
internal static class ObjectComparer
{
    private static readonly string[] ListKeys = ["name", "containerPort", "port", "mountPath", "devicePath", "ip", "type"];
    private static readonly string[] IgnoredMetadata = ["resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"];

    /// <summary>The desired object without the parts that are never compared (status, server-owned metadata).</summary>
    public static JsonObject ComparableShape(JsonObject desired)
    {
        var copy = (JsonObject)desired.DeepClone();
        copy.Remove("status");
        if (copy["metadata"] is JsonObject metadata)
        {
            foreach (var key in IgnoredMetadata)
            {
                metadata.Remove(key);
            }
        }

        return copy;
    }

    /// <summary>Copies from <paramref name="live"/> only what <paramref name="shape"/> has.</summary>
    public static JsonNode? Project(JsonNode? live, JsonNode? shape)
    {
        switch (shape)
        {
            case JsonObject shapeObject when live is JsonObject liveObject:
                {
                    var result = new JsonObject();
                    foreach (var (key, value) in shapeObject)
                    {
                        if (liveObject.TryGetPropertyValue(key, out var liveValue))
                        {
                            result[key] = Project(liveValue, value);
                        }
                    }

                    return result;
                }

            case JsonArray shapeArray when live is JsonArray liveArray:
                {
                    var key = ListKey(shapeArray);
                    var result = new JsonArray();
                    if (key is not null)
                    {
                        foreach (var item in shapeArray)
                        {
                            var keyValue = item![key];
                            var match = liveArray.FirstOrDefault(l => l is JsonObject lo && SemanticEquals(lo[key], keyValue));
                            result.Add(match is null ? null : Project(match, item));
                        }

                        return result;
                    }

                    if (liveArray.Count != shapeArray.Count)
                    {
                        return live.DeepClone();
                    }

                    for (var i = 0; i < shapeArray.Count; i++)
                    {
                        result.Add(Project(liveArray[i], shapeArray[i]));
                    }

                    return result;
                }

            default:
                return live?.DeepClone();
        }
    }

    /// <summary>Whether the live object has every desired field with the desired value.</summary>
    public static bool Matches(JsonObject live, JsonObject expected) => SemanticEquals(Project(live, expected), expected);

    /// <summary>Fields (JSON paths) whose live value differs from the expected one; used in drift logs.</summary>
    public static List<string> Differences(JsonNode? live, JsonNode? expected, string path = "")
    {
        var result = new List<string>();
        Collect(Project(live, expected), expected, path, result);
        return result;
    }

    private static void Collect(JsonNode? actual, JsonNode? expected, string path, List<string> result)
    {
        if (expected is JsonObject eo && actual is JsonObject ao)
        {
            foreach (var (key, value) in eo)
            {
                Collect(ao.TryGetPropertyValue(key, out var a) ? a : null, value, $"{path}.{key}", result);
                if (result.Count > 10)
                {
                    return;
                }
            }

            return;
        }

        if (!SemanticEquals(actual, expected))
        {
            result.Add(path.Length == 0 ? "." : path);
        }
    }

    private static string? ListKey(JsonArray items)
    {
        if (items.Count == 0 || items.Any(i => i is not JsonObject))
        {
            return null;
        }

        foreach (var key in ListKeys)
        {
            var values = new List<JsonNode?>();
            var ok = true;
            foreach (var item in items)
            {
                if (item![key] is not JsonValue value)
                {
                    ok = false;
                    break;
                }

                if (values.Any(v => SemanticEquals(v, value)))
                {
                    ok = false;
                    break;
                }

                values.Add(value);
            }

            if (ok)
            {
                return key;
            }
        }

        return null;
    }

    /// <summary>Structural equality; numbers by value, object keys in any order.</summary>
    public static bool SemanticEquals(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        switch (a)
        {
            case JsonObject ao when b is JsonObject bo:
                if (ao.Count != bo.Count)
                {
                    return false;
                }

                foreach (var (key, value) in ao)
                {
                    if (!bo.TryGetPropertyValue(key, out var other) || !SemanticEquals(value, other))
                    {
                        return false;
                    }
                }

                return true;
            case JsonArray aa when b is JsonArray ba:
                if (aa.Count != ba.Count)
                {
                    return false;
                }

                for (var i = 0; i < aa.Count; i++)
                {
                    if (!SemanticEquals(aa[i], ba[i]))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValue av when b is JsonValue bv:
                var ak = av.GetValueKind();
                var bk = bv.GetValueKind();
                if (ak != bk)
                {
                    return false;
                }

                return ak switch
                {
                    JsonValueKind.String => av.GetValue<string>() == bv.GetValue<string>(),
                    JsonValueKind.Number => NumberEquals(av, bv),
                    _ => true, // true, false, null kinds
                };
            default:
                return false;
        }
    }

    private static bool NumberEquals(JsonValue a, JsonValue b)
    {
        var at = a.ToJsonString();
        var bt = b.ToJsonString();
        if (at == bt)
        {
            return true;
        }

        return decimal.TryParse(at, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ad) &&
            decimal.TryParse(bt, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var bd) &&
            ad == bd;
    }

    /// <summary>SHA-256 (hex, 32 chars) of the canonical JSON (sorted keys) of <paramref name="node"/>.</summary>
    public static string Hash(JsonNode node)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteCanonical(writer, node);
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan))[..32];
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    WriteCanonical(writer, value);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    WriteCanonical(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}
