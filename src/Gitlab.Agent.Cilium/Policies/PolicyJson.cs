using System.Text.Json;

namespace Gitlab.Agent.Cilium.Policies;

/// <summary>Small typed readers over policy JSON that report the offending path.</summary>
internal static class PolicyJson
{
    public static string? GetString(JsonElement element, string name, string path)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new PolicyParseException($"{path}.{name}: expected a string, got {value.ValueKind}"),
        };
    }

    public static string[] GetStringArray(JsonElement element, string name, string path)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new PolicyParseException($"{path}.{name}: expected an array, got {value.ValueKind}");
        }

        var result = new string[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            result[i] = item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw new PolicyParseException($"{path}.{name}[{i}]: expected a string, got {item.ValueKind}");
            i++;
        }

        return result;
    }

    /// <summary>Returns the array items of <paramref name="name"/> (empty when absent) with their paths.</summary>
    public static IEnumerable<(JsonElement Item, string Path)> GetObjectArray(JsonElement element, string name, string path)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            yield break;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new PolicyParseException($"{path}.{name}: expected an array, got {value.ValueKind}");
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var itemPath = $"{path}.{name}[{i}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new PolicyParseException($"{itemPath}: expected an object, got {item.ValueKind}");
            }

            yield return (item, itemPath);
            i++;
        }
    }
}
