using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>RFC 7386 JSON merge patch (<c>application/merge-patch+json</c>): objects merge, null deletes, everything else replaces.</summary>
internal static class MergePatch
{
    /// <summary>Returns <paramref name="target"/> merged with <paramref name="patch"/>; neither input is modified.</summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : [];
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                result.TryGetPropertyValue(key, out var existing);
                result[key] = Apply(existing?.DeepClone(), value);
            }
        }

        return result;
    }
}
