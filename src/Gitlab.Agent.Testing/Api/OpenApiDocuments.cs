using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Registry;

namespace Gitlab.Agent.Testing.Api;

/// <summary>
/// Minimal <c>/openapi/v3</c>: one PATCH operation per kind declaring the <c>fieldValidation</c> parameter (so kubectl
/// leaves validation to the server) and no requestBody (so kubectl builds strategic merge patches from its own types).
/// </summary>
internal sealed class OpenApiDocuments
{
    private readonly ResourceRegistry _registry;
    private readonly Lock _sync = new();
    private long _cachedRevision = -1;
    private Dictionary<string, (byte[] Body, string Hash)> _docs = new(StringComparer.Ordinal);

    public OpenApiDocuments(ResourceRegistry registry) => _registry = registry;

    /// <summary>The root document listing every group version.</summary>
    public JsonObject Root()
    {
        var docs = Documents();
        var paths = new JsonObject();
        foreach (var (key, (_, hash)) in docs.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            paths[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={hash}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>The document of <c>api/v1</c> or <c>apis/{group}/{version}</c>.</summary>
    public (byte[] Body, string Hash)? GroupVersion(string key) => Documents().TryGetValue(key, out var doc) ? doc : null;

    private Dictionary<string, (byte[] Body, string Hash)> Documents()
    {
        lock (_sync)
        {
            var revision = _registry.Revision;
            if (revision == _cachedRevision)
            {
                return _docs;
            }

            var docs = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
            foreach (var (group, versions) in _registry.Groups())
            {
                foreach (var version in versions)
                {
                    var key = group.Length == 0 ? "api/" + version : $"apis/{group}/{version}";
                    var body = Encoding.UTF8.GetBytes(Build(group, version).ToJsonString(JsonOptions.Compact));
                    docs[key] = (body, Convert.ToHexString(SHA512.HashData(body)));
                }
            }

            _docs = docs;
            _cachedRevision = revision;
            return docs;
        }
    }

    private JsonObject Build(string group, string version)
    {
        var prefix = group.Length == 0 ? "/api/" + version : $"/apis/{group}/{version}";
        var paths = new JsonObject();
        foreach (var t in _registry.InGroupVersion(group, version).Where(t => !t.CreateOnly).OrderBy(t => t.Plural, StringComparer.Ordinal))
        {
            var path = t.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{t.Plural}/{{name}}" : $"{prefix}/{t.Plural}/{{name}}";
            paths[path] = new JsonObject
            {
                ["patch"] = new JsonObject
                {
                    ["operationId"] = "patch" + OperationGroup(group) + Capital(version) + (t.Namespaced ? "Namespaced" : string.Empty) + t.Kind,
                    ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = t.Kind },
                    ["x-kubernetes-action"] = "patch",
                    ["parameters"] = new JsonArray(
                        Param("dryRun", "string"),
                        Param("fieldManager", "string"),
                        Param("fieldValidation", "string"),
                        Param("force", "boolean")),
                    ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
                },
            };
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.4" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        };
    }

    private static JsonObject Param(string name, string type) => new()
    {
        ["name"] = name,
        ["in"] = "query",
        ["schema"] = new JsonObject { ["type"] = type, ["uniqueItems"] = true },
    };

    private static string OperationGroup(string group) =>
        group.Length == 0 ? "Core" : string.Concat(group.Split('.')[0].Split('-').Select(Capital));

    private static string Capital(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
