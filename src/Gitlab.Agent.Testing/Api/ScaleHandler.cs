using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Registry;
using Gitlab.Agent.Testing.Server;
using Microsoft.AspNetCore.Http;

namespace Gitlab.Agent.Testing.Api;

/// <summary>The <c>/scale</c> subresource: reads and writes <c>autoscaling/v1 Scale</c>.</summary>
internal sealed class ScaleHandler
{
    private readonly ApiServerCore _core;

    public ScaleHandler(ApiServerCore core) => _core = core;

    public async Task HandleAsync(HttpContext http, ResourceType type, string ns, string name, RequestUser user, ApiHandler api)
    {
        var spec = type.Scale!;
        switch (http.Request.Method)
        {
            case "GET":
            {
                var stored = _core.Store.Get(type.StorageKey, ns, name) ?? throw KubeApiException.NotFound(type.Group, type.Plural, name);
                await ApiHandler.WriteJsonAsync(http, 200, ToScale(type, stored.Clone(), spec));
                return;
            }

            case "PUT":
            {
                var ctx = api.WriteContextFor(http, user, "update");
                var body = await api.ReadObjectBodyAsync(http);
                var replicas = JsonPath.AsLong(body["spec"]?["replicas"]) ?? 0;
                var rv = body["metadata"]?["resourceVersion"]?.GetValue<string>();
                await WriteResultAsync(http, type, ns, name, replicas, rv, ctx, spec);
                return;
            }

            case "PATCH":
            {
                var ctx = api.WriteContextFor(http, user, "patch");
                var patchType = ApiHandler.MediaType(http.Request.ContentType);
                var body = await ApiHandler.ReadBodyAsync(http);
                var stored = _core.Store.Get(type.StorageKey, ns, name) ?? throw KubeApiException.NotFound(type.Group, type.Plural, name);
                var scale = ToScale(type, stored.Clone(), spec);
                JsonNode? patched = patchType switch
                {
                    PatchTypes.Json => SemanticsBridge.JsonPatch(scale, JsonNode.Parse(body) as JsonArray ?? throw KubeApiException.BadRequest("json patch must be an array")),
                    PatchTypes.Merge or PatchTypes.Strategic => SemanticsBridge.MergePatch(scale, JsonNode.Parse(body)),
                    PatchTypes.Apply => SemanticsBridge.MergePatch(scale, YamlJson.ParseObject(body)),
                    _ => throw KubeApiException.UnsupportedMediaType("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"),
                };
                var replicas = JsonPath.AsLong(patched?["spec"]?["replicas"]) ?? 0;
                var rv = patched?["metadata"]?["resourceVersion"]?.GetValue<string>();
                await WriteResultAsync(http, type, ns, name, replicas, rv, ctx, spec);
                return;
            }

            default:
                throw KubeApiException.MethodNotAllowed();
        }
    }

    private async Task WriteResultAsync(HttpContext http, ResourceType type, string ns, string name, long replicas, string? rv, WriteContext ctx, ScaleSpec spec)
    {
        if (replicas < 0)
        {
            throw KubeApiException.Invalid("autoscaling", "Scale", name, [FieldError.InvalidValue("spec.replicas", replicas.ToString(CultureInfo.InvariantCulture), "must be greater than or equal to 0")]);
        }

        var result = _core.Writer.Mutate(type, ns, name, "scale", ctx, obj =>
        {
            JsonPath.Write(obj, spec.SpecReplicasPath, replicas);
            return true;
        }, rv);
        var stored = _core.Store.Get(type.StorageKey, ns, name) ?? throw KubeApiException.NotFound(type.Group, type.Plural, name);
        var obj = result ?? stored.Clone();
        await ApiHandler.WriteJsonAsync(http, 200, ToScale(type, obj, spec));
    }

    /// <summary>The autoscaling/v1 Scale view of an object.</summary>
    public static JsonObject ToScale(ResourceType type, JsonObject obj, ScaleSpec spec)
    {
        var meta = (JsonObject)obj["metadata"]!;
        var scaleMeta = new JsonObject();
        foreach (var key in new[] { "name", "namespace", "uid", "resourceVersion", "creationTimestamp" })
        {
            if (meta[key] is JsonNode v)
            {
                scaleMeta[key] = v.DeepClone();
            }
        }

        var status = new JsonObject { ["replicas"] = JsonPath.ReadLong(obj, spec.StatusReplicasPath) ?? 0 };
        string? selector = null;
        if (spec.LabelSelectorPath is not null && JsonPath.ReadScalar(obj, spec.LabelSelectorPath) is string s)
        {
            selector = s;
        }
        else if (!type.IsCustom && obj["spec"]?["selector"]?["matchLabels"] is JsonObject ml)
        {
            selector = string.Join(",", ml.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
        }

        if (selector is not null)
        {
            status["selector"] = selector;
        }

        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = scaleMeta,
            ["spec"] = new JsonObject { ["replicas"] = JsonPath.ReadLong(obj, spec.SpecReplicasPath) ?? 0 },
            ["status"] = status,
        };
    }
}
