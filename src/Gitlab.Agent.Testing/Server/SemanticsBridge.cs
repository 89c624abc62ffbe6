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

    /// <summary>A label-selector predicate; null text or "" matches everything. Bad syntax gives 400.</summary>
    public static Func<IReadOnlyDictionary<string, string>, bool> LabelSelector(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return static _ => true;
        }

        try
        {
            var selector = Semantics.LabelSelector.Parse(text);
            return labels => selector.Matches(labels);
        }
        catch (Semantics.SelectorException e)
        {
            throw KubeApiException.BadRequest(e.Message);
        }
    }

    /// <summary>A predicate from a LabelSelector object (<c>matchLabels</c>/<c>matchExpressions</c>); null matches nothing.</summary>
    public static Func<IReadOnlyDictionary<string, string>, bool>? LabelSelectorFromObject(JsonObject? selector)
    {
        if (selector is null)
        {
            return null;
        }

        try
        {
            var parsed = Semantics.LabelSelector.FromLabelSelectorObject(selector);
            return labels => parsed.Matches(labels);
        }
        catch (Semantics.SelectorException e)
        {
            throw KubeApiException.BadRequest(e.Message);
        }
    }

    /// <summary>A field-selector predicate over precomputed field values; unsupported fields give 400.</summary>
    public static Func<IReadOnlyDictionary<string, string>, bool> FieldSelector(string? text, ResourceType type)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return static _ => true;
        }

        Semantics.FieldSelector selector;
        try
        {
            selector = Semantics.FieldSelector.Parse(text);
        }
        catch (Semantics.SelectorException e)
        {
            throw KubeApiException.BadRequest(e.Message);
        }

        foreach (var requirement in selector.Requirements)
        {
            if (requirement.Field is not ("metadata.name" or "metadata.namespace") && !type.FieldSelectors.ContainsKey(requirement.Field))
            {
                throw KubeApiException.BadRequest($"field label not supported: {requirement.Field}");
            }
        }

        return fields => selector.Matches(f => fields.TryGetValue(f, out var v) ? v : null);
    }

    /// <summary>RFC 6902 JSON patch; failures are 422 (failed operation) or 400 (malformed), as the apiserver answers.</summary>
    public static JsonNode JsonPatch(JsonNode document, JsonArray ops)
    {
        try
        {
            return Semantics.JsonPatch.Apply(document, ops);
        }
        catch (Semantics.PatchException e)
        {
            throw PatchError(e);
        }
    }

    /// <summary>RFC 7386 JSON merge patch.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        try
        {
            return Semantics.MergePatch.Apply(target, patch);
        }
        catch (Semantics.PatchException e)
        {
            throw PatchError(e);
        }
    }

    private static KubeApiException PatchError(Semantics.PatchException e) => e.StatusCode == 422
        ? new KubeApiException(422, "Invalid", "the server rejected our request due to an error in our request",
            new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "UnexpectedServerResponse", ["message"] = e.Message }) })
        : KubeApiException.BadRequest(e.Message);

    /// <summary>Strategic merge patch with the kind's merge keys and strategies (415 for kinds without SMP support).</summary>
    public static JsonObject StrategicMerge(JsonObject original, JsonObject patch, ResourceType type)
    {
        try
        {
            return Semantics.StrategicMergePatch.Apply(original, patch, type.MergeSchema);
        }
        catch (Semantics.PatchException e)
        {
            throw PatchError(e);
        }
    }

    /// <summary>
    /// Server-side apply of <paramref name="config"/> onto <paramref name="live"/> (null: create). Returns the merged object
    /// with managedFields; conflicts without force give the apiserver's 409 Status.
    /// </summary>
    public static JsonObject Apply(JsonObject? live, JsonObject config, string manager, bool force, ResourceType type, DateTimeOffset now, string? subresource)
    {
        Semantics.ApplyResult result;
        try
        {
            result = Semantics.FieldManager.Apply(live, config, manager, force, type.MergeSchema, now, type.ApiVersion, subresource);
        }
        catch (Semantics.PatchException e) when (e.StatusCode == 500)
        {
            throw new KubeApiException(500, string.Empty, e.Message);
        }
        catch (Semantics.PatchException e)
        {
            throw PatchError(e);
        }

        if (result.Conflicts.Count > 0)
        {
            var status = Semantics.FieldManager.ConflictStatus(result.Conflicts, type.ApiVersion);
            throw new KubeApiException(409, "Conflict", status["message"]!.GetValue<string>(), status["details"]!.AsObject());
        }

        return result.Object!;
    }

    /// <summary>
    /// Records an Update operation of <paramref name="manager"/> in <c>metadata.managedFields</c> of
    /// <paramref name="newObject"/> (the caller's private copy, changed in place and returned).
    /// </summary>
    public static JsonObject RecordUpdate(JsonObject? oldObject, JsonObject newObject, string manager, ResourceType type, DateTimeOffset now, string? subresource) =>
        Semantics.FieldManager.RecordUpdateInPlace(oldObject, newObject, manager, type.MergeSchema, now, type.ApiVersion, subresource);

    /// <summary>The field manager the apiserver derives from a User-Agent.</summary>
    public static string DefaultManager(string? userAgent)
    {
        // Clients send the same few User-Agents on every request: remember what they map to.
        var key = userAgent ?? string.Empty;
        if (ManagerByUserAgent.TryGetValue(key, out var manager))
        {
            return manager;
        }

        manager = Semantics.FieldManager.DefaultManagerFromUserAgent(userAgent);
        if (ManagerByUserAgent.Count < 1024)
        {
            ManagerByUserAgent.TryAdd(key, manager);
        }

        return manager;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> ManagerByUserAgent = new(StringComparer.Ordinal);

    public static bool IsProtobufEnvelope(ReadOnlySpan<byte> body) => Semantics.KubeProtobuf.IsEnvelope(body);

    /// <summary>Decodes kubectl's protobuf request body (runtime.Unknown envelope) to JSON.</summary>
    public static JsonObject DecodeProtobuf(ReadOnlySpan<byte> body)
    {
        try
        {
            return Semantics.KubeProtobuf.DecodeEnvelope(body);
        }
        catch (NotSupportedException e)
        {
            throw KubeApiException.UnsupportedMediaType("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (" + e.Message + ")");
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            throw KubeApiException.BadRequest("unable to decode the protobuf request body: " + e.Message);
        }
    }
}
