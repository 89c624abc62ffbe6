using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Api;
using Gitlab.Agent.Testing.Registry;
using Gitlab.Agent.Testing.Server;
using Gitlab.Agent.Testing.Storage;

namespace Gitlab.Agent.Testing.Controllers;

/// <summary>The workload controllers' object management: Deployment → ReplicaSet → Pods, StatefulSet and DaemonSet pods.</summary>
internal sealed partial class BuiltinControllers
{
    private const string NameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>Creates and scales the owned objects of a workload (no-op when <see cref="KubernetesApiServerOptions.SimulatePods"/> is off).</summary>
    private void ManageOwnedObjects(ResourceType type, StoredObject owner)
    {
        if (!_core.Options.SimulatePods || owner.DeletionRequested)
        {
            return;
        }

        var obj = owner.Object;
        var template = obj["spec"]?["template"] as JsonObject;
        if (template is null)
        {
            return;
        }

        switch (type.Kind)
        {
            case "Deployment":
                ManageReplicaSets(owner, obj, template);
                break;
            case "ReplicaSet":
                EnsurePods(type, owner, (int)(JsonPath.ReadLong(obj, "spec.replicas") ?? 1), template, i => null, null);
                break;
            case "StatefulSet":
            {
                var name = owner.Name;
                var revision = name + "-" + Hash(Canonical(template), 10);
                EnsurePods(type, owner, (int)(JsonPath.ReadLong(obj, "spec.replicas") ?? 1), template, i => $"{name}-{i}", (pod, i) =>
                {
                    var labels = KindRules.Ensure(KindRules.Meta(pod), "labels");
                    labels["statefulset.kubernetes.io/pod-name"] = $"{name}-{i}";
                    labels["apps.kubernetes.io/pod-index"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    labels["controller-revision-hash"] = revision;
                    KindRules.Ensure(pod, "spec")["hostname"] = $"{name}-{i}";
                });
                break;
            }

            case "DaemonSet":
            {
                var nodes = _core.Store.List("/nodes", null).Items.Select(n => n.Name).ToList();
                EnsurePods(type, owner, nodes.Count, template, i => null, (pod, i) => KindRules.Ensure(pod, "spec")["nodeName"] = nodes[i]);
                break;
            }
        }
    }

    private void ManageReplicaSets(StoredObject deployment, JsonObject obj, JsonObject template)
    {
        var rsType = Registry.FindByStorageKey("apps/replicasets")!;
        var hash = Hash(Canonical(template), 10);
        var rsName = $"{deployment.Name}-{hash}";
        var replicas = JsonPath.ReadLong(obj, "spec.replicas") ?? 1;
        var owned = _core.Store.List(rsType.StorageKey, deployment.Namespace).Items.Where(r => r.OwnerUids.Contains(deployment.Uid)).ToList();
        var ctx = WriteContext.ForController("kube-controller-manager");
        var current = owned.FirstOrDefault(r => r.Name == rsName);
        var revision = owned.Count == 0 ? 1 : owned.Max(Revision) + 1;
        if (current is null)
        {
            var podTemplate = (JsonObject)template.DeepClone();
            KindRules.Ensure(KindRules.Ensure(podTemplate, "metadata"), "labels")["pod-template-hash"] = hash;
            var selector = obj["spec"]?["selector"]?.DeepClone() as JsonObject ?? new JsonObject();
            KindRules.Ensure(selector, "matchLabels")["pod-template-hash"] = hash;
            var labels = (podTemplate["metadata"]?["labels"] as JsonObject)?.DeepClone() ?? new JsonObject();
            TryCreate(rsType, deployment.Namespace, new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["name"] = rsName,
                    ["labels"] = labels,
                    ["annotations"] = new JsonObject
                    {
                        ["deployment.kubernetes.io/desired-replicas"] = replicas.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["deployment.kubernetes.io/max-replicas"] = replicas.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["deployment.kubernetes.io/revision"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    },
                    ["ownerReferences"] = OwnerReference("apps/v1", "Deployment", deployment),
                },
                ["spec"] = new JsonObject { ["replicas"] = replicas, ["selector"] = selector, ["template"] = podTemplate },
            }, "kube-controller-manager");
        }
        else if ((JsonPath.ReadLong(current.Object, "spec.replicas") ?? 1) != replicas)
        {
            Writer.Mutate(rsType, current.Namespace, current.Name, null, ctx, rs =>
            {
                rs["spec"]!["replicas"] = replicas;
                return true;
            });
        }

        foreach (var old in owned.Where(r => r.Name != rsName && (JsonPath.ReadLong(r.Object, "spec.replicas") ?? 1) != 0))
        {
            Writer.Mutate(rsType, old.Namespace, old.Name, null, ctx, rs =>
            {
                rs["spec"]!["replicas"] = 0;
                return true;
            });
        }
    }

    private void EnsurePods(ResourceType ownerType, StoredObject owner, int desired, JsonObject template, Func<int, string?> nameFor, Action<JsonObject, int>? customize)
    {
        var podType = Registry.FindByStorageKey("/pods")!;
        var pods = _core.Store.List(podType.StorageKey, owner.Namespace).Items.Where(p => p.OwnerUids.Contains(owner.Uid) && !p.DeletionRequested).ToList();
        var fixedNames = nameFor(0) is not null;
        for (var i = 0; i < desired; i++)
        {
            var name = nameFor(i);
            if (fixedNames ? pods.Any(p => p.Name == name) : i < pods.Count)
            {
                continue;
            }

            var pod = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["name"] = name ?? $"{owner.Name}-{RandomSuffix()}",
                    ["labels"] = template["metadata"]?["labels"]?.DeepClone() ?? new JsonObject(),
                    ["ownerReferences"] = OwnerReference(ownerType.ApiVersion, ownerType.Kind, owner),
                },
                ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject(),
            };
            if (template["metadata"]?["annotations"] is JsonObject annotations)
            {
                KindRules.Meta(pod)["annotations"] = annotations.DeepClone();
            }

            customize?.Invoke(pod, i);
            TryCreate(podType, owner.Namespace, pod, "kube-controller-manager");
        }

        var extra = fixedNames
            ? pods.Where(p => !Enumerable.Range(0, desired).Any(i => nameFor(i) == p.Name)).ToList()
            : pods.OrderByDescending(p => p.ResourceVersion).Take(Math.Max(0, pods.Count - desired)).ToList();
        foreach (var pod in extra)
        {
            TryDelete(podType, pod, "Background");
        }
    }

    /// <summary>JSON with object keys sorted, so equal templates hash equally whatever order a client sent.</summary>
    internal static string Canonical(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => System.Text.Json.JsonSerializer.Serialize(p.Key) + ":" + Canonical(p.Value))) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(Canonical)) + "]",
        null => "null",
        _ => node.ToJsonString(),
    };

    private static long Revision(StoredObject rs) =>
        rs.Object["metadata"]?["annotations"]?["deployment.kubernetes.io/revision"] is JsonValue v && v.TryGetValue<string>(out var text)
            && long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static JsonArray OwnerReference(string apiVersion, string kind, StoredObject owner) => new(new JsonObject
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["name"] = owner.Name,
        ["uid"] = owner.Uid,
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    });

    private static string RandomSuffix() => new(Enumerable.Range(0, 5).Select(_ => NameAlphabet[Random.Shared.Next(NameAlphabet.Length)]).ToArray());

    /// <summary>A change to an owned pod or ReplicaSet makes its controller look again (e.g. recreate a deleted pod).</summary>
    private void ReconcileOwnerOf(StoredObject dependent)
    {
        foreach (var uid in dependent.OwnerUids)
        {
            var owner = _core.Store.GetByUid(uid);
            var ownerType = owner is null ? null : Registry.FindByStorageKey(owner.StorageKey);
            if (owner is not null && ownerType is not null && ownerType.GroupKind is "apps/ReplicaSet" or "apps/StatefulSet" or "apps/DaemonSet" or "apps/Deployment")
            {
                ManageOwnedObjects(ownerType, owner);
            }
        }
    }
}
