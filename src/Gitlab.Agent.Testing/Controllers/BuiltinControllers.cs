using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gitlab.Agent.Testing.Api;
using Gitlab.Agent.Testing.Registry;
using Gitlab.Agent.Testing.Server;
using Gitlab.Agent.Testing.Storage;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Testing.Controllers;

/// <summary>
/// The small controllers a test cluster needs: a scheduler+kubelet that marks pods Running, workload status writers
/// (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job), CRD conditions and cleanup, namespace termination and the
/// garbage collector (ownerReferences with Background, Foreground and Orphan propagation).
/// </summary>
internal sealed partial class BuiltinControllers : IAsyncDisposable
{
    private readonly ApiServerCore _core;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Watcher? _watcher;
    private Task? _loop;
    private Task? _ticker;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _terminatingSince = new(StringComparer.Ordinal);
    private volatile bool _gcDirty = true;
    private int _podIp = 10;

    public BuiltinControllers(ApiServerCore core, ILogger logger)
    {
        _core = core;
        _logger = logger;
    }

    private ObjectWriter Writer => _core.Writer;

    private ResourceRegistry Registry => _core.Registry;

    public void Start()
    {
        _watcher = _core.Store.Watch(null, null);
        _loop = Task.Run(() => RunAsync(_watcher.Reader, _stop.Token));
        _ticker = Task.Run(() => TickAsync(_stop.Token));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _watcher?.Dispose();
        foreach (var t in new[] { _loop, _ticker })
        {
            if (t is not null)
            {
                try
                {
                    await t;
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        _stop.Dispose();
    }

    private async Task RunAsync(ChannelReader<WatchEvent> reader, CancellationToken ct)
    {
        while (await reader.WaitToReadAsync(ct))
        {
            while (reader.TryRead(out var evt))
            {
                try
                {
                    Handle(evt);
                }
                catch (KubeApiException e)
                {
                    LogReconcileFailed(_logger, evt.Object.StorageKey, evt.Object.Namespace, evt.Object.Name, e.Message);
                }
            }
        }
    }

    private async Task TickAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (await timer.WaitForNextTickAsync(ct))
        {
            if (!_gcDirty)
            {
                continue;
            }

            _gcDirty = false;
            try
            {
                CollectGarbage();
            }
            catch (KubeApiException e)
            {
                _gcDirty = true;
                LogReconcileFailed(_logger, "gc", string.Empty, string.Empty, e.Message);
            }
        }
    }

    private void Handle(WatchEvent evt)
    {
        var obj = evt.Object;
        if (evt.Type == WatchEvent.Deleted || obj.DeletionRequested || obj.OwnerUids.Count > 0)
        {
            _gcDirty = true;
        }

        if (evt.Type == WatchEvent.Deleted)
        {
            if (obj.OwnerUids.Count > 0 && obj.StorageKey is "/pods" or "apps/replicasets")
            {
                ReconcileOwnerOf(obj);
            }

            return;
        }

        var type = Registry.FindByStorageKey(obj.StorageKey);
        if (type is null)
        {
            return;
        }

        switch (type.GroupKind)
        {
            case "/Pod":
                ReconcilePod(type, obj);
                break;
            case "apps/Deployment":
            case "apps/ReplicaSet":
            case "apps/StatefulSet":
            case "apps/DaemonSet":
            case "batch/Job":
                ReconcileWorkload(type, obj);
                if (evt.Type == WatchEvent.Added || evt.Previous is null || JsonPath.ReadLong(evt.Previous.Object, "metadata.generation") != JsonPath.ReadLong(obj.Object, "metadata.generation"))
                {
                    ManageOwnedObjects(type, obj);
                }

                break;
            case "apiextensions.k8s.io/CustomResourceDefinition":
                ReconcileCrd(type, obj);
                break;
            case "/Namespace" when evt.Type == WatchEvent.Added && !obj.DeletionRequested:
                PopulateNamespace(obj.Name);
                break;
        }
    }

    /// <summary>The service-account and root-CA publisher controllers: every namespace gets SA "default" and ConfigMap "kube-root-ca.crt".</summary>
    public void PopulateNamespace(string ns)
    {
        var saType = Registry.FindByStorageKey("/serviceaccounts")!;
        var cmType = Registry.FindByStorageKey("/configmaps")!;
        TryCreate(saType, ns, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "default" } }, "kube-controller-manager");
        TryCreate(cmType, ns, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "kube-root-ca.crt", ["annotations"] = new JsonObject { ["kubernetes.io/description"] = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters." } },
            ["data"] = new JsonObject { ["ca.crt"] = _core.CaPem },
        }, "kube-controller-manager");
    }

    private void TryCreate(ResourceType type, string ns, JsonObject obj, string manager)
    {
        try
        {
            Writer.Create(type, ns, obj, WriteContext.ForController(manager));
        }
        catch (KubeApiException e) when (e.Code is 409 or 403 or 404)
        {
            // already there, or the namespace went away meanwhile
        }
    }

    // ------------------------------------------------------------------ pods

    private void ReconcilePod(ResourceType type, StoredObject pod)
    {
        if (pod.DeletionRequested || !_core.Options.SimulatePods)
        {
            return;
        }

        var podObject = pod.Object; // parsed from the stored JSON: a private copy, no lock needed
        var phase = podObject["status"]?["phase"]?.GetValue<string>() ?? string.Empty;
        var nodeName = podObject["spec"]?["nodeName"]?.GetValue<string>();

        if (nodeName is null)
        {
            Writer.Mutate(type, pod.Namespace, pod.Name, null, WriteContext.ForController("kube-scheduler"), obj =>
            {
                KindRules.Ensure(obj, "spec")["nodeName"] = _core.Options.NodeName;
                return true;
            });
            return;
        }

        if (phase != "Pending")
        {
            return;
        }

        var now = Writer.Now();
        var ip = Interlocked.Increment(ref _podIp);
        Writer.Mutate(type, pod.Namespace, pod.Name, "status", WriteContext.ForController("kubelet"), obj =>
        {
            var statuses = new JsonArray();
            foreach (var c in (obj["spec"]?["containers"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                var image = c["image"]?.GetValue<string>() ?? string.Empty;
                statuses.Add(new JsonObject
                {
                    ["name"] = c["name"]?.DeepClone(),
                    ["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = now } },
                    ["lastState"] = new JsonObject(),
                    ["ready"] = true,
                    ["restartCount"] = 0,
                    ["image"] = image,
                    ["imageID"] = image + "@sha256:" + Hash(image, 64),
                    ["containerID"] = "containerd://" + Hash(pod.Uid + c["name"], 64),
                    ["started"] = true,
                });
            }

            var podIp = $"10.244.0.{ip % 250 + 2}";
            obj["status"] = new JsonObject
            {
                ["phase"] = "Running",
                ["conditions"] = new JsonArray(
                    Condition("PodReadyToStartContainers", "True", null, null, now),
                    Condition("Initialized", "True", null, null, now),
                    Condition("Ready", "True", null, null, now),
                    Condition("ContainersReady", "True", null, null, now),
                    Condition("PodScheduled", "True", null, null, now)),
                ["hostIP"] = _core.Options.NodeIp,
                ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = _core.Options.NodeIp }),
                ["podIP"] = podIp,
                ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = podIp }),
                ["startTime"] = now,
                ["containerStatuses"] = statuses,
                ["qosClass"] = "BestEffort",
            };
            return true;
        });
    }

    // ------------------------------------------------------------------ workloads

    private void ReconcileWorkload(ResourceType type, StoredObject stored)
    {
        if (stored.DeletionRequested)
        {
            return;
        }

        var now = Writer.Now();
        var nodes = Math.Max(1, _core.Store.List("/nodes", null).Items.Count);
        Writer.Mutate(type, stored.Namespace, stored.Name, "status", WriteContext.ForController(ManagerFor(type)), obj =>
        {
            var old = obj["status"]?.DeepClone() as JsonObject ?? new JsonObject();
            var status = type.Kind switch
            {
                "Deployment" => DeploymentStatus(obj, old, now),
                "ReplicaSet" => ReplicaSetStatus(obj),
                "StatefulSet" => StatefulSetStatus(obj),
                "DaemonSet" => DaemonSetStatus(obj, nodes),
                _ => JobStatus(obj, old, now),
            };
            if (status is null || JsonNode.DeepEquals(status, old))
            {
                return false;
            }

            obj["status"] = status;
            return true;
        });
    }

    private static string ManagerFor(ResourceType type) => type.Kind switch
    {
        "Deployment" => "kube-controller-manager",
        _ => "kube-controller-manager",
    };

    private static long Generation(JsonObject obj) => JsonPath.ReadLong(obj, "metadata.generation") ?? 1;

    private static long Replicas(JsonObject obj) => JsonPath.ReadLong(obj, "spec.replicas") ?? 1;

    private static JsonObject? DeploymentStatus(JsonObject obj, JsonObject old, string now)
    {
        var replicas = Replicas(obj);
        var name = obj["metadata"]?["name"]?.GetValue<string>();
        var hash = Hash(Canonical(obj["spec"]?["template"]), 10);
        var status = new JsonObject { ["observedGeneration"] = Generation(obj) };
        if (replicas > 0)
        {
            status["replicas"] = replicas;
            status["updatedReplicas"] = replicas;
            status["readyReplicas"] = replicas;
            status["availableReplicas"] = replicas;
        }

        status["conditions"] = new JsonArray(
            KeepTimes(old, Condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", now, withUpdate: true)),
            KeepTimes(old, Condition("Progressing", "True", "NewReplicaSetAvailable", $"ReplicaSet \"{name}-{hash}\" has successfully progressed.", now, withUpdate: true)));
        return status;
    }

    private static JsonObject ReplicaSetStatus(JsonObject obj)
    {
        var replicas = Replicas(obj);
        var status = new JsonObject { ["replicas"] = replicas };
        if (replicas > 0)
        {
            status["fullyLabeledReplicas"] = replicas;
            status["readyReplicas"] = replicas;
            status["availableReplicas"] = replicas;
        }

        status["observedGeneration"] = Generation(obj);
        return status;
    }

    private static JsonObject StatefulSetStatus(JsonObject obj)
    {
        var replicas = Replicas(obj);
        var revision = obj["metadata"]?["name"]?.GetValue<string>() + "-" + Hash(Canonical(obj["spec"]?["template"]), 10);
        var status = new JsonObject { ["observedGeneration"] = Generation(obj), ["replicas"] = replicas };
        if (replicas > 0)
        {
            status["readyReplicas"] = replicas;
            status["currentReplicas"] = replicas;
            status["updatedReplicas"] = replicas;
        }

        status["currentRevision"] = revision;
        status["updateRevision"] = revision;
        status["collisionCount"] = 0;
        status["availableReplicas"] = replicas;
        return status;
    }

    private static JsonObject DaemonSetStatus(JsonObject obj, int nodes) => new()
    {
        ["currentNumberScheduled"] = nodes,
        ["numberMisscheduled"] = 0,
        ["desiredNumberScheduled"] = nodes,
        ["numberReady"] = nodes,
        ["observedGeneration"] = Generation(obj),
        ["updatedNumberScheduled"] = nodes,
        ["numberAvailable"] = nodes,
    };

    private static JsonObject? JobStatus(JsonObject obj, JsonObject old, string now)
    {
        if (obj["spec"]?["suspend"]?.GetValue<bool>() == true)
        {
            return null;
        }

        if ((old["conditions"] as JsonArray)?.Any(c => c?["type"]?.GetValue<string>() == "Complete") == true)
        {
            return null;
        }

        var completions = JsonPath.ReadLong(obj, "spec.completions") ?? 1;
        return new JsonObject
        {
            ["conditions"] = new JsonArray(
                Condition("SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods", now, probe: true),
                Condition("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods", now, probe: true)),
            ["startTime"] = old["startTime"]?.DeepClone() ?? now,
            ["completionTime"] = now,
            ["succeeded"] = completions,
            ["terminating"] = 0,
            ["uncountedTerminatedPods"] = new JsonObject(),
            ["ready"] = 0,
        };
    }

    private static JsonObject KeepTimes(JsonObject oldStatus, JsonObject condition)
    {
        var previous = (oldStatus["conditions"] as JsonArray)?.OfType<JsonObject>()
            .FirstOrDefault(c => c["type"]?.GetValue<string>() == condition["type"]?.GetValue<string>());
        if (previous is not null && previous["status"]?.GetValue<string>() == condition["status"]?.GetValue<string>()
            && previous["reason"]?.GetValue<string>() == condition["reason"]?.GetValue<string>())
        {
            foreach (var key in new[] { "lastUpdateTime", "lastTransitionTime" })
            {
                if (previous[key] is JsonNode t)
                {
                    condition[key] = t.DeepClone();
                }
            }
        }

        return condition;
    }

    private static JsonObject Condition(string type, string status, string? reason, string? message, string now, bool withUpdate = false, bool probe = false)
    {
        var c = new JsonObject { ["type"] = type, ["status"] = status };
        if (probe)
        {
            c["lastProbeTime"] = now;
        }
        else if (!withUpdate)
        {
            c["lastProbeTime"] = null;
        }

        if (withUpdate)
        {
            c["lastUpdateTime"] = now;
        }

        c["lastTransitionTime"] = now;
        if (reason is not null)
        {
            c["reason"] = reason;
        }

        if (message is not null)
        {
            c["message"] = message;
        }

        return c;
    }

    private static string Hash(string input, int length)
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        var bytes = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(input));
        var sb = new StringBuilder();
        var i = 0;
        while (sb.Length < length)
        {
            sb.Append(length == 64 ? bytes[i % bytes.Length].ToString("x2", CultureInfo.InvariantCulture) : alphabet[bytes[i % bytes.Length] % alphabet.Length].ToString());
            i++;
        }

        return sb.ToString(0, length);
    }

    // ------------------------------------------------------------------ CRDs

    private void ReconcileCrd(ResourceType type, StoredObject crd)
    {
        if (crd.DeletionRequested)
        {
            CleanupCrd(type, crd);
            return;
        }

        var now = Writer.Now();
        Writer.Mutate(type, string.Empty, crd.Name, "status", WriteContext.ForController("kube-apiserver"), obj =>
        {
            var spec = obj["spec"] as JsonObject;
            var status = obj["status"]?.DeepClone() as JsonObject ?? new JsonObject();
            var old = status.DeepClone();
            var accepted = spec?["names"]?.DeepClone() as JsonObject ?? new JsonObject();
            status["acceptedNames"] = accepted;
            var conditions = status["conditions"] as JsonArray ?? new JsonArray();
            Upsert(conditions, "NamesAccepted", "True", "NoConflicts", "no conflicts found", now);
            Upsert(conditions, "Established", "True", "InitialNamesAccepted", "the initial names have been accepted", now);
            status["conditions"] = conditions;
            var stored = status["storedVersions"] as JsonArray ?? new JsonArray();
            var storage = (spec?["versions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(v => v["storage"]?.GetValue<bool>() == true)?["name"]?.GetValue<string>();
            if (storage is not null && !stored.Any(s => s?.GetValue<string>() == storage))
            {
                stored.Add(storage);
            }

            status["storedVersions"] = stored;
            if (JsonNode.DeepEquals(old, status))
            {
                return false;
            }

            obj["status"] = status;
            return true;
        });
    }

    private static void Upsert(JsonArray conditions, string type, string status, string reason, string message, string now)
    {
        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == type);
        if (existing is not null && existing["status"]?.GetValue<string>() == status && existing["reason"]?.GetValue<string>() == reason)
        {
            return;
        }

        if (existing is not null)
        {
            conditions.Remove(existing);
        }

        conditions.Add(new JsonObject { ["type"] = type, ["status"] = status, ["lastTransitionTime"] = now, ["reason"] = reason, ["message"] = message });
    }

    private void CleanupCrd(ResourceType crdType, StoredObject crd)
    {
        JsonObject crdObj;
        lock (_core.Store.Sync)
        {
            crdObj = crd.Object;
        }

        var storageKey = CrdRegistrar.StorageKeyOf(crdObj);
        var remaining = _core.Store.List(storageKey, null).Items;
        var crType = Registry.FindByStorageKey(storageKey);
        if (remaining.Count > 0 && crType is not null)
        {
            foreach (var item in remaining.Where(i => !i.DeletionRequested))
            {
                TryDelete(crType, item, "Background");
            }

            if (_core.Store.List(storageKey, null).Items.Count > 0)
            {
                _gcDirty = true;
                return;
            }
        }

        RemoveFinalizer(crdType, crd, "customresourcecleanup.apiextensions.k8s.io");
    }

    // ------------------------------------------------------------------ garbage collection and namespaces

    private void CollectGarbage()
    {
        var all = _core.Store.Everything();
        var uids = new HashSet<string>(all.Select(o => o.Uid), StringComparer.Ordinal);
        var dependents = new Dictionary<string, List<StoredObject>>(StringComparer.Ordinal);
        foreach (var o in all)
        {
            foreach (var owner in o.OwnerUids)
            {
                if (!dependents.TryGetValue(owner, out var list))
                {
                    list = [];
                    dependents[owner] = list;
                }

                list.Add(o);
            }
        }

        foreach (var o in all)
        {
            var type = Registry.FindByStorageKey(o.StorageKey);
            if (type is null)
            {
                continue;
            }

            // Dependents whose owners are all gone.
            if (o.OwnerUids.Count > 0 && !o.DeletionRequested && o.OwnerUids.All(u => !uids.Contains(u)))
            {
                TryDelete(type, o, "Background");
                continue;
            }

            if (!o.DeletionRequested)
            {
                continue;
            }

            var deps = dependents.GetValueOrDefault(o.Uid) ?? [];
            if (o.Finalizers.Contains("orphan"))
            {
                foreach (var d in deps)
                {
                    var depType = Registry.FindByStorageKey(d.StorageKey);
                    if (depType is null)
                    {
                        continue;
                    }

                    Writer.Mutate(depType, d.Namespace, d.Name, null, WriteContext.ForController("generic-garbage-collector"), obj =>
                    {
                        if (obj["metadata"]?["ownerReferences"] is not JsonArray refs)
                        {
                            return false;
                        }

                        foreach (var r in refs.Where(r => r?["uid"]?.GetValue<string>() == o.Uid).ToList())
                        {
                            refs.Remove(r);
                        }

                        if (refs.Count == 0)
                        {
                            ((JsonObject)obj["metadata"]!).Remove("ownerReferences");
                        }

                        return true;
                    });
                }

                RemoveFinalizer(type, o, "orphan");
                _gcDirty = true;
            }
            else if (o.Finalizers.Contains("foregroundDeletion"))
            {
                if (deps.Count == 0)
                {
                    RemoveFinalizer(type, o, "foregroundDeletion");
                }
                else
                {
                    foreach (var d in deps.Where(d => !d.DeletionRequested))
                    {
                        var depType = Registry.FindByStorageKey(d.StorageKey);
                        if (depType is not null)
                        {
                            TryDelete(depType, d, "Foreground");
                        }
                    }

                    _gcDirty = true;
                }
            }

            if (type.GroupKind == "/Namespace")
            {
                FinishNamespace(type, o, all);
            }
            else if (type.GroupKind == "apiextensions.k8s.io/CustomResourceDefinition" && o.Finalizers.Contains("customresourcecleanup.apiextensions.k8s.io"))
            {
                CleanupCrd(type, o);
            }
        }
    }

    private void FinishNamespace(ResourceType nsType, StoredObject ns, IReadOnlyList<StoredObject> all)
    {
        // Like the real namespace controller (which first runs discovery), start a moment after the delete, so a
        // client deleting the namespace and then its objects (kubectl delete -f) finds them still there.
        var since = _terminatingSince.GetOrAdd(ns.Uid, _ => _core.Time.GetTimestamp());
        if (_core.Time.GetElapsedTime(since) < _core.Options.NamespaceDeletionDelay)
        {
            _gcDirty = true;
            return;
        }

        var contents = all.Where(o => o.Namespace == ns.Name && Registry.FindByStorageKey(o.StorageKey)?.Namespaced == true).ToList();
        if (contents.Count > 0)
        {
            foreach (var item in contents.Where(i => !i.DeletionRequested))
            {
                var t = Registry.FindByStorageKey(item.StorageKey);
                if (t is not null)
                {
                    TryDelete(t, item, "Background");
                }
            }

            _gcDirty = true;
            return;
        }

        bool hasSpecFinalizer;
        lock (_core.Store.Sync)
        {
            hasSpecFinalizer = ns.Object["spec"]?["finalizers"] is JsonArray { Count: > 0 };
        }

        if (hasSpecFinalizer)
        {
            _core.Namespaces.Finalize(nsType, ns.Name, new JsonObject { ["spec"] = new JsonObject { ["finalizers"] = new JsonArray() } }, WriteContext.ForController("namespace-controller"));
        }
    }

    private void TryDelete(ResourceType type, StoredObject item, string policy)
    {
        lock (_core.Store.Sync)
        {
            var current = _core.Store.Get(item.StorageKey, item.Namespace, item.Name);
            if (current is null || current.Uid != item.Uid || current.DeletionRequested)
            {
                return;
            }

            Writer.DeleteLocked(type, current, new DeleteRequest(policy, null, null, null), WriteContext.ForController("generic-garbage-collector"));
        }

        _gcDirty = true;
    }

    private void RemoveFinalizer(ResourceType type, StoredObject o, string finalizer)
    {
        Writer.Mutate(type, o.Namespace, o.Name, null, WriteContext.ForController("generic-garbage-collector"), obj =>
        {
            if (obj["metadata"]?["finalizers"] is not JsonArray fin)
            {
                return false;
            }

            var match = fin.FirstOrDefault(f => f?.GetValue<string>() == finalizer);
            if (match is null)
            {
                return false;
            }

            fin.Remove(match);
            return true;
        });
    }

    [LoggerMessage(EventId = 8100, Level = LogLevel.Debug, Message = "Controller could not reconcile {StorageKey} {Namespace}/{Name}: {Error}")]
    private static partial void LogReconcileFailed(ILogger logger, string storageKey, string @namespace, string name, string error);
}
