using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>
/// RFC 6902 JSON patch (<c>application/json-patch+json</c>) with RFC 6901 pointers. Error texts and the few
/// deviations from the RFC follow evanphx/json-patch v4, the library the apiserver uses (<c>replace</c> of a missing
/// member of an existing object sets it). The input document is not modified.
/// </summary>
internal static class JsonPatch
{
    /// <summary>Applies <paramref name="operations"/> in order to a copy of <paramref name="document"/>.</summary>
    /// <exception cref="PatchException">An operation is malformed or does not apply.</exception>
    public static JsonNode Apply(JsonNode document, JsonArray operations)
    {
        // A holder lets operations on the root ("" path) replace the whole document.
        var holder = new JsonArray(document.DeepClone());
        foreach (var operationNode in operations)
        {
            if (operationNode is not JsonObject operation)
            {
                throw PatchException.BadRequest("json: cannot unmarshal " + Describe(operationNode) + " into Go value of type jsonpatch.Operation");
            }

            var kind = operation["op"] is JsonValue opValue && opValue.TryGetValue<string>(out var opText) ? opText : "unknown";
            switch (kind)
            {
                case "add":
                    Add(holder, RequirePath(operation, kind), ValueOf(operation));
                    break;
                case "remove":
                    Remove(holder, RequirePath(operation, kind));
                    break;
                case "replace":
                    Replace(holder, RequirePath(operation, kind), ValueOf(operation));
                    break;
                case "move":
                    Move(holder, RequireFrom(operation, kind), RequirePath(operation, kind));
                    break;
                case "copy":
                    Copy(holder, RequireFrom(operation, kind), RequirePath(operation, kind));
                    break;
                case "test":
                    Test(holder, RequirePath(operation, kind), operation.TryGetPropertyValue("value", out var expected) ? expected : null, operation.ContainsKey("value"));
                    break;
                default:
                    throw new PatchException("Unexpected kind: " + kind);
            }
        }

        var result = holder[0];
        holder.Clear();
        return result ?? throw new PatchException("the patched document is null");
    }

    private static string RequirePath(JsonObject operation, string kind)
        => operation["path"] is JsonValue value && value.TryGetValue<string>(out var path)
            ? path
            : throw new PatchException($"{kind} operation failed to decode path: missing value");

    private static string RequireFrom(JsonObject operation, string kind)
        => operation["from"] is JsonValue value && value.TryGetValue<string>(out var from)
            ? from
            : throw new PatchException($"{kind} operation failed to decode from: operation, missing from field: missing value");

    private static JsonNode? ValueOf(JsonObject operation) => operation["value"]?.DeepClone();

    private static void Add(JsonArray holder, string path, JsonNode? value)
    {
        if (path.Length == 0)
        {
            holder[0] = value;
            return;
        }

        var (container, key) = FindParent(holder, path)
            ?? throw new PatchException($"add operation does not apply: doc is missing path: \"{path}\": missing value");
        switch (container)
        {
            case JsonObject obj:
                obj[key] = value;
                break;
            case JsonArray array:
                int index;
                if (key == "-")
                {
                    index = array.Count;
                }
                else if (!TryIndex(key, out index))
                {
                    throw new PatchException($"error in add for path: '{path}': value was not a proper array index: '{key}': strconv.Atoi: parsing {GoFormat.Quote(key)}: invalid syntax");
                }

                if (index < 0 || index > array.Count)
                {
                    throw new PatchException($"error in add for path: '{path}': Unable to access invalid index: {index}: invalid index referenced");
                }

                array.Insert(index, value);
                break;
            default:
                throw new PatchException($"add operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }

    private static JsonNode? Remove(JsonArray holder, string path)
    {
        if (path.Length == 0)
        {
            throw new PatchException($"remove operation does not apply: doc is missing path: \"{path}\": missing value");
        }

        var (container, key) = FindParent(holder, path)
            ?? throw new PatchException($"remove operation does not apply: doc is missing path: \"{path}\": missing value");
        switch (container)
        {
            case JsonObject obj:
                if (!obj.Remove(key, out var removed))
                {
                    throw new PatchException($"error in remove for path: '{path}': Unable to remove nonexistent key: {key}: missing value");
                }

                return removed;
            case JsonArray array:
                if (!TryIndex(key, out var index) || index < 0 || index >= array.Count)
                {
                    throw new PatchException($"error in remove for path: '{path}': Unable to access invalid index: {key}: invalid index referenced");
                }

                var item = array[index];
                array.RemoveAt(index);
                return item;
            default:
                throw new PatchException($"remove operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }

    private static void Replace(JsonArray holder, string path, JsonNode? value)
    {
        if (path.Length == 0)
        {
            holder[0] = value;
            return;
        }

        var (container, key) = FindParent(holder, path)
            ?? throw new PatchException($"replace operation does not apply: doc is missing path: {path}: missing value");
        switch (container)
        {
            case JsonObject obj:
                // evanphx/json-patch v4 (the apiserver's) replaces a missing member of an existing object too.
                obj[key] = value;
                break;
            case JsonArray array when TryIndex(key, out var index) && index >= 0 && index < array.Count:
                array[index] = value;
                break;
            default:
                throw new PatchException($"replace operation does not apply: doc is missing key: {path}: missing value");
        }
    }

    private static void Move(JsonArray holder, string from, string path)
    {
        if (from == path)
        {
            return;
        }

        if (path.StartsWith(from + "/", StringComparison.Ordinal))
        {
            throw new PatchException($"move operation does not apply: path {path} is inside from path {from}");
        }

        if (Get(holder, from, out _) is false)
        {
            throw new PatchException($"move operation does not apply: doc is missing from path: {from}: missing value");
        }

        var value = Remove(holder, from);
        Add(holder, path, value);
    }

    private static void Copy(JsonArray holder, string from, string path)
    {
        if (!Get(holder, from, out var value))
        {
            throw new PatchException($"copy operation does not apply: doc is missing from path: {from}: missing value");
        }

        Add(holder, path, value?.DeepClone());
    }

    private static void Test(JsonArray holder, string path, JsonNode? expected, bool hasValue)
    {
        if (!Get(holder, path, out var actual))
        {
            if (FindParent(holder, path) is null && path.Length > 0)
            {
                throw new PatchException($"test operation does not apply: is missing path: {path}: missing value");
            }

            // A missing member only equals an absent or null value.
            if (!hasValue || expected is null)
            {
                return;
            }

            throw new PatchException($"testing value {path} failed: test failed");
        }

        if (!JsonNode.DeepEquals(actual, expected))
        {
            throw new PatchException($"testing value {path} failed: test failed");
        }
    }

    /// <summary>Resolves a pointer; false when it does not point at an existing member or item.</summary>
    internal static bool Get(JsonArray holder, string path, out JsonNode? value)
    {
        value = null;
        if (path.Length == 0)
        {
            value = holder[0];
            return true;
        }

        if (FindParent(holder, path) is not var (container, key))
        {
            return false;
        }

        switch (container)
        {
            case JsonObject obj:
                return obj.TryGetPropertyValue(key, out value);
            case JsonArray array when TryIndex(key, out var index) && index >= 0 && index < array.Count:
                value = array[index];
                return true;
            default:
                return false;
        }
    }

    /// <summary>Walks all tokens but the last; returns the container and the decoded last token.</summary>
    private static (JsonNode Container, string Key)? FindParent(JsonArray holder, string path)
    {
        if (!path.StartsWith('/'))
        {
            return null;
        }

        var tokens = path[1..].Split('/').Select(Decode).ToArray();
        var current = holder[0];
        for (var i = 0; i < tokens.Length - 1; i++)
        {
            current = current switch
            {
                JsonObject obj => obj.TryGetPropertyValue(tokens[i], out var child) ? child : null,
                JsonArray array => TryIndex(tokens[i], out var index) && index >= 0 && index < array.Count ? array[index] : null,
                _ => null,
            };
            if (current is null)
            {
                return null;
            }
        }

        return current is JsonObject or JsonArray ? (current, tokens[^1]) : null;
    }

    private static string Decode(string token) => token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);

    private static bool TryIndex(string token, out int index)
    {
        index = -1;
        if (token.Length == 0 || (token.Length > 1 && token[0] == '0'))
        {
            return false;
        }

        return token.All(char.IsAsciiDigit) && int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    private static string Describe(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        _ => "bool",
    };
}
