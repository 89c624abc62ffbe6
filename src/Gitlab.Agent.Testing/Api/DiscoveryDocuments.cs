using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Registry;

namespace Gitlab.Agent.Testing.Api;

/// <summary>Builds aggregated (apidiscovery.k8s.io/v2) and legacy discovery documents from the registry.</summary>
internal sealed class DiscoveryDocuments
{
    public const string AggregatedV2ContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    public const string AggregatedV2Beta1ContentType = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

    private readonly ResourceRegistry _registry;

    public DiscoveryDocuments(ResourceRegistry registry) => _registry = registry;

    /// <summary>Aggregated list for <c>/api</c> (core) or <c>/apis</c> (named groups).</summary>
    public JsonObject Aggregated(bool core, string apiVersion)
    {
        var items = new JsonArray();
        foreach (var (group, versions) in _registry.Groups())
        {
            if ((group.Length == 0) != core)
            {
                continue;
            }

            var versionArray = new JsonArray();
            foreach (var version in versions)
            {
                var resources = new JsonArray();
                foreach (var t in _registry.InGroupVersion(group, version).OrderBy(t => t.Plural, StringComparer.Ordinal))
                {
                    resources.Add(AggregatedResource(t));
                }

                versionArray.Add(new JsonObject { ["version"] = version, ["resources"] = resources, ["freshness"] = "Current" });
            }

            var metadata = new JsonObject { ["creationTimestamp"] = null };
            if (!core)
            {
                metadata = new JsonObject { ["name"] = group, ["creationTimestamp"] = null };
            }

            items.Add(new JsonObject { ["metadata"] = metadata, ["versions"] = versionArray });
        }

        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = apiVersion,
            ["metadata"] = new JsonObject(),
            ["items"] = items,
        };
    }

    private static JsonObject AggregatedResource(ResourceType t)
    {
        var r = new JsonObject
        {
            ["resource"] = t.Plural,
            ["responseKind"] = Gvk(t.Group, t.Version, t.Kind),
            ["scope"] = t.Namespaced ? "Namespaced" : "Cluster",
            ["singularResource"] = t.Singular,
            ["verbs"] = Strings(t.Verbs),
        };
        if (t.ShortNames.Count > 0)
        {
            r["shortNames"] = Strings(t.ShortNames);
        }

        if (t.Categories.Count > 0)
        {
            r["categories"] = Strings(t.Categories);
        }

        var subs = new JsonArray();
        foreach (var (name, group, version, kind, verbs) in Subresources(t))
        {
            subs.Add(new JsonObject { ["subresource"] = name, ["responseKind"] = Gvk(group, version, kind), ["verbs"] = Strings(verbs) });
        }

        if (subs.Count > 0)
        {
            r["subresources"] = subs;
        }

        return r;
    }

    private static IEnumerable<(string Name, string Group, string Version, string Kind, IReadOnlyList<string> Verbs)> Subresources(ResourceType t)
    {
        var list = new List<(string, string, string, string, IReadOnlyList<string>)>();
        if (t.HasStatus)
        {
            list.Add(("status", t.Group, t.Version, t.Kind, ["get", "patch", "update"]));
        }

        if (t.Scale is not null)
        {
            list.Add(("scale", "autoscaling", "v1", "Scale", ["get", "patch", "update"]));
        }

        foreach (var (name, kind, group, version, verbs) in t.OtherSubresources)
        {
            list.Add((name, group, version, kind, verbs));
        }

        return list.OrderBy(s => s.Item1, StringComparer.Ordinal);
    }

    /// <summary>Legacy <c>/api</c>.</summary>
    public static JsonObject ApiVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    /// <summary>Legacy <c>/apis</c>.</summary>
    public JsonObject ApiGroupList()
    {
        var groups = new JsonArray();
        foreach (var (group, versions) in _registry.Groups())
        {
            if (group.Length > 0)
            {
                groups.Add(ApiGroup(group, versions));
            }
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    /// <summary>Legacy <c>/apis/{group}</c>, or null when the group is not served.</summary>
    public JsonObject? ApiGroupDocument(string group)
    {
        var entry = _registry.Groups().FirstOrDefault(g => g.Group == group);
        if (entry.Versions is null || group.Length == 0)
        {
            return null;
        }

        var doc = ApiGroup(group, entry.Versions);
        doc["kind"] = "APIGroup";
        doc["apiVersion"] = "v1";
        return doc;
    }

    private static JsonObject ApiGroup(string group, IReadOnlyList<string> versions)
    {
        var vs = new JsonArray();
        foreach (var v in versions)
        {
            vs.Add(new JsonObject { ["groupVersion"] = group + "/" + v, ["version"] = v });
        }

        return new JsonObject
        {
            ["name"] = group,
            ["versions"] = vs,
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = group + "/" + versions[0], ["version"] = versions[0] },
        };
    }

    /// <summary>Legacy <c>/api/v1</c> or <c>/apis/{g}/{v}</c>, or null when the group version is not served.</summary>
    public JsonObject? ResourceList(string group, string version)
    {
        var types = _registry.InGroupVersion(group, version);
        if (types.Count == 0)
        {
            return null;
        }

        var resources = new JsonArray();
        foreach (var t in types.OrderBy(t => t.Plural, StringComparer.Ordinal))
        {
            var r = new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.Singular,
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = Strings(t.Verbs),
            };
            if (t.ShortNames.Count > 0)
            {
                r["shortNames"] = Strings(t.ShortNames);
            }

            if (t.Categories.Count > 0)
            {
                r["categories"] = Strings(t.Categories);
            }

            if (!t.CreateOnly)
            {
                r["storageVersionHash"] = StorageVersionHash(t);
            }

            resources.Add(r);
            foreach (var (name, group2, version2, kind, verbs) in Subresources(t))
            {
                var s = new JsonObject
                {
                    ["name"] = t.Plural + "/" + name,
                    ["singularName"] = string.Empty,
                    ["namespaced"] = t.Namespaced,
                };
                if (group2 != t.Group || version2 != t.Version)
                {
                    s["group"] = group2;
                    s["version"] = version2;
                }

                s["kind"] = kind;
                s["verbs"] = Strings(verbs);
                resources.Add(s);
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : group + "/" + version,
            ["resources"] = resources,
        };
    }

    private static string StorageVersionHash(ResourceType t)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{t.Group}/{t.Version}/{t.Kind}"));
        return Convert.ToBase64String(hash, 0, 8);
    }

    private static JsonObject Gvk(string group, string version, string kind) => new() { ["group"] = group, ["version"] = version, ["kind"] = kind };

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
}
