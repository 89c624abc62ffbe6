using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Api;
using Gitlab.Agent.Testing.Registry;
using Gitlab.Agent.Testing.Server;

namespace Gitlab.Agent.Testing.Controllers;

/// <summary>The <c>namespaces/{name}/finalize</c> subresource.</summary>
internal sealed class NamespaceLifecycle
{
    private readonly ApiServerCore _core;

    public NamespaceLifecycle(ApiServerCore core) => _core = core;

    /// <summary>PUT finalize: replaces <c>spec.finalizers</c>; a terminating namespace with none left goes away.</summary>
    public JsonObject Finalize(ResourceType type, string name, JsonObject body, WriteContext ctx)
    {
        var finalizers = body["spec"]?["finalizers"]?.DeepClone() as JsonArray ?? new JsonArray();
        JsonObject? last = null;
        var result = _core.Writer.Mutate(type, string.Empty, name, "finalize", ctx, obj =>
        {
            KindRules.Ensure(obj, "spec")["finalizers"] = finalizers.DeepClone();
            if (finalizers.Count == 0)
            {
                ((JsonObject)obj["spec"]!).Remove("finalizers");
            }

            last = obj;
            return true;
        });
        return result ?? last ?? throw KubeApiException.NotFound(string.Empty, "namespaces", name);
    }
}
