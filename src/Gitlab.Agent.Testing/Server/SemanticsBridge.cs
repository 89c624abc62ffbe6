using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Registry;

namespace Gitlab.Agent.Testing.Server;

/// <summary>
/// The one place the server calls the pure algorithms of <c>Gitlab.Agent.Testing.Semantics</c> (selectors, patches,
/// server-side apply, protobuf, RBAC) and translates their exceptions into API Status errors.
/// </summary>
internal static class SemanticsBridge
{
    private const string Pending = "not available yet in this build: ";

    /// <summary>A label-selector predicate; null text or "" matches everything.</summary>
    public static Func<IReadOnlyDictionary<string, string>, bool> LabelSelector(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return static _ => true;
        }

        throw KubeApiException.BadRequest(Pending + "label selectors");
    }

    /// <summary>A predicate from a LabelSelector object (<c>matchLabels</c>/<c>matchExpressions</c>); null matches nothing.</summary>
    public static Func<IReadOnlyDictionary<string, string>, bool>? LabelSelectorFromObject(JsonObject? selector)
    {
        if (selector is null)
        {
            return null;
        }

        if (selector.Count == 0)
        {
            return static _ => true;
        }

        if (selector["matchExpressions"] is null && selector["matchLabels"] is JsonObject ml)
        {
            var required = ml.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? string.Empty);
            return labels => required.All(r => labels.TryGetValue(r.Key, out var v) && v == r.Value);
        }

        throw KubeApiException.BadRequest(Pending + "label selectors");
    }

    /// <summary>A field-selector predicate over precomputed field values; unsupported fields give 400.</summary>
    public static Func<IReadOnlyDictionary<string, string>, bool> FieldSelector(string? text, ResourceType type)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return static _ => true;
        }

        throw KubeApiException.BadRequest(Pending + "field selectors");
    }

    public static JsonNode JsonPatch(JsonNode document, JsonArray ops) => throw KubeApiException.UnsupportedMediaType(Pending + "json patch");

    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch) => throw KubeApiException.UnsupportedMediaType(Pending + "merge patch");

    public static JsonObject StrategicMerge(JsonObject original, JsonObject patch, ResourceType type) =>
        throw KubeApiException.UnsupportedMediaType(Pending + "strategic merge patch");

    public static ApplyOutcome Apply(JsonObject? live, JsonObject config, string manager, bool force, ResourceType type, DateTimeOffset now) =>
        throw KubeApiException.UnsupportedMediaType(Pending + "server-side apply");

    /// <summary>Records an Update operation of <paramref name="manager"/> in <c>metadata.managedFields</c>.</summary>
    public static JsonObject RecordUpdate(JsonObject? oldObject, JsonObject newObject, string manager, ResourceType type, DateTimeOffset now, string? subresource) =>
        newObject;

    public static string DefaultManager(string? userAgent)
    {
        if (string.IsNullOrEmpty(userAgent))
        {
            return "unknown";
        }

        var slash = userAgent.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 ? userAgent[..slash] : userAgent;
    }

    public static bool IsProtobufEnvelope(ReadOnlySpan<byte> body) =>
        body.Length >= 4 && body[0] == 0x6b && body[1] == 0x38 && body[2] == 0x73 && body[3] == 0;

    public static JsonObject DecodeProtobuf(ReadOnlySpan<byte> body) =>
        throw KubeApiException.UnsupportedMediaType(Pending + "protobuf request bodies");
}

/// <summary>Result of a server-side apply: the merged object, or the conflicts that stopped it.</summary>
internal sealed record ApplyOutcome(JsonObject? Object, IReadOnlyList<(string Manager, string Path)> Conflicts, string ConflictMessage);
