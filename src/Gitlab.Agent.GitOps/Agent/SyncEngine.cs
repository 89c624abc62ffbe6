using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.GitOps.Agent;

/// <summary>
/// Applies one commit of a manifest project: decode → plan (filters, scope, default namespace, claims) → CRDs and
/// Namespaces (wait Established/Active) → inventory (union) → cluster-scoped → namespaced → prune (reverse order) →
/// inventory (final). Objects already as desired are not written. A file that does not decode stops the sync (nothing
/// applied) unless <c>apply_on_decode_error</c>, which applies the other files. Nothing is pruned when decoding or any
/// apply failed, or when the commit selects no object at all (unless <c>allow_empty_prune</c>).
/// </summary>
internal sealed class SyncEngine(
    KubernetesDynamicClient client,
    ObjectClaims claims,
    IOptions<GitOpsAgentOptions> options,
    TimeProvider timeProvider,
    ILogger<SyncEngine> logger)
{
    public const string FieldManager = "agentk";
    public const string ManifestHashAnnotation = "agent.gitlab.com/gitops-manifest-hash";

    private static readonly HashSet<string> ObjectMetaFields =
    [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    ];

    private readonly GitOpsAgentOptions _options = options.Value;

    public KubernetesDynamicClient Client => client;

    /// <summary>Synchronizes <paramref name="batch"/>. Throws only for cancellation and inventory read failures.</summary>
    public async Task<SyncOutcome> SyncAsync(ProjectSyncState state, SyncBatch batch, CancellationToken cancellationToken)
    {
        var settings = state.Settings;
        var outcome = new SyncOutcome { CommitId = batch.CommitId, DryRun = settings.DryRun != DryRunStrategy.None };
        GitOpsAgentLog.Synchronizing(logger, state.ProjectPath, batch.CommitId);

        // 1. Decode. By default any error stops the whole project (nothing applied, nothing pruned). With
        // apply_on_decode_error the files that decode are applied, every file with an error is reported failed and
        // none of its objects is applied; nothing is pruned (the broken files' objects are unknown).
        var manifests = new List<ManifestObject>();
        var errors = new List<ManifestError>();
        var failedFiles = 0;
        foreach (var (source, data) in batch.Files)
        {
            var (objects, fileErrors) = ManifestDecoder.Decode(source, data);
            if (fileErrors.Count == 0)
            {
                manifests.AddRange(objects);
                continue;
            }

            failedFiles++;
            errors.AddRange(fileErrors);
            if (!settings.ApplyOnDecodeError)
            {
                manifests.AddRange(objects);
            }
        }

        if (errors.Count > 0 && !settings.ApplyOnDecodeError)
        {
            foreach (var error in errors)
            {
                GitOpsAgentLog.DecodeFailed(logger, state.ProjectPath, batch.CommitId, $"{error.Source}:{error.Line}", error.Message);
            }

            outcome.Status = GitOpsSyncStatus.Failed;
            outcome.Message = $"{errors.Count} manifest document(s) could not be decoded, nothing was applied or pruned: " +
                string.Join("; ", errors.Take(10).Select(e => e.ToString())) + (errors.Count > 10 ? "; …" : "") +
                " (set apply_on_decode_error: true to apply the other files)";
            return outcome;
        }

        foreach (var error in errors)
        {
            var location = $"{error.Source}:{error.Line}";
            GitOpsAgentLog.DecodeFailedApplyingRest(logger, state.ProjectPath, batch.CommitId, location, error.Message);
            var fileResult = new GitOpsObjectState
            {
                ResourceKey = "",
                Source = location,
                Result = GitOpsObjectResult.Failed,
                Message = $"{location}: {error.Message}; no object of {error.Source} was applied",
            };
            outcome.Objects.Add(fileResult);
            LogResult(state.ProjectPath, fileResult);
        }

        // 2. Plan.
        var planned = await PlanAsync(state, manifests, outcome, releaseClaims: failedFiles == 0, cancellationToken).ConfigureAwait(false);
        var plannedIds = planned.Where(p => p.Result is null).Select(p => p.Id).ToHashSet();

        // 3. Inventory as stored.
        var oldInventory = await state.Inventory.ReadAsync(cancellationToken).ConfigureAwait(false);
        var written = oldInventory;

        // 4. CRDs and Namespaces first, then wait until they can be used.
        var stage0 = planned.Where(p => p.Result is null && p.Stage == 0).ToList();
        await ApplyAllAsync(state, stage0, cancellationToken).ConfigureAwait(false);
        if (!outcome.DryRun && stage0.Any(p => p.Result?.Result == GitOpsObjectResult.Applied))
        {
            await WaitEstablishedAsync(stage0, cancellationToken).ConfigureAwait(false);
        }

        foreach (var p in planned.Where(p => p.Result is null && p.AwaitsCrd))
        {
            p.Resource = await client.ResolveAsync(p.Manifest.ApiVersion, p.Manifest.Kind, cancellationToken).ConfigureAwait(false);
            if (p.Resource is null)
            {
                p.Result = Failed(p, $"the API server does not serve {p.Manifest.ApiVersion} {p.Manifest.Kind} although its CustomResourceDefinition is in this commit (not Established within {_options.EstablishTimeout.TotalSeconds:0}s)");
            }
        }

        // 5. Record every object about to be applied before applying it, so nothing applied is ever untracked.
        if (!outcome.DryRun)
        {
            var union = new HashSet<ObjectId>(oldInventory);
            union.UnionWith(plannedIds);
            try
            {
                await state.Inventory.WriteAsync(union, written, FieldManager, cancellationToken).ConfigureAwait(false);
                written = union;
            }
            catch (KubernetesApiException e)
            {
                foreach (var p in planned.Where(p => p.Result is null && p.Stage > 0))
                {
                    p.Result = Failed(p, $"not applied: the inventory ConfigMap {state.Inventory.Namespace}/{state.Inventory.Name} could not be written: {e.Message}");
                }
            }
        }

        // 6. Cluster-scoped, then namespaced objects.
        await ApplyAllAsync(state, [.. planned.Where(p => p.Result is null && p.Stage == 1)], cancellationToken).ConfigureAwait(false);
        await ApplyAllAsync(state, [.. planned.Where(p => p.Result is null && p.Stage == 2)], cancellationToken).ConfigureAwait(false);

        foreach (var p in planned)
        {
            outcome.Objects.Add(p.Result!);
            LogResult(state.ProjectPath, p.Result!);
            if (p.Result!.Result is GitOpsObjectResult.Applied or GitOpsObjectResult.Unchanged)
            {
                outcome.Applied.Add(p);
            }
        }

        var failures = planned.Count(p => p.Result!.Result == GitOpsObjectResult.Failed);

        // 7. Prune and 8. final inventory.
        var keep = new HashSet<ObjectId>(planned
            .Where(p => p.Result!.Result is GitOpsObjectResult.Applied or GitOpsObjectResult.Unchanged ||
                        (p.Result.Result == GitOpsObjectResult.Failed && oldInventory.Contains(p.Id)))
            .Select(p => p.Id));
        var candidates = oldInventory.Where(id => !plannedIds.Contains(id) && !keep.Contains(id)).ToList();
        var pruneMessage = await PruneAsync(state, batch.CommitId, planned, plannedIds, candidates, failures, failedFiles, keep, outcome, cancellationToken).ConfigureAwait(false);

        if (!outcome.DryRun)
        {
            await state.Inventory.WriteAsync(keep, written, FieldManager, cancellationToken).ConfigureAwait(false);
        }

        state.Managed = outcome.Applied.ToDictionary(p => p.Id);
        foreach (var id in state.Applied.Keys)
        {
            if (!state.Managed.ContainsKey(id))
            {
                state.Applied.TryRemove(id, out _);
            }
        }

        var skipped = planned.Count(p => p.Result!.Result == GitOpsObjectResult.Skipped && !outcome.DryRun);
        outcome.Status = failures > 0 || failedFiles > 0 ? GitOpsSyncStatus.Failed : GitOpsSyncStatus.Syncing;
        var messages = new List<string>();
        if (failedFiles > 0)
        {
            messages.Add($"{failedFiles} manifest file(s) could not be decoded and were not applied (apply_on_decode_error): " +
                string.Join("; ", errors.Take(10).Select(e => e.ToString())) + (errors.Count > 10 ? "; …" : ""));
        }

        if (failures > 0)
        {
            messages.Add($"{failures} object(s) failed");
        }

        if (skipped > 0)
        {
            messages.Add($"{skipped} object(s) skipped");
        }

        if (pruneMessage is not null)
        {
            messages.Add(pruneMessage);
        }

        outcome.Message = messages.Count > 0 ? string.Join("; ", messages) : null;
        var counts = outcome.Objects.CountBy(o => o.Result).ToDictionary();
        var applied = counts.GetValueOrDefault(GitOpsObjectResult.Applied);
        var unchanged = counts.GetValueOrDefault(GitOpsObjectResult.Unchanged);
        var pruned = counts.GetValueOrDefault(GitOpsObjectResult.Pruned);
        var failed = counts.GetValueOrDefault(GitOpsObjectResult.Failed);
        var skippedAll = counts.GetValueOrDefault(GitOpsObjectResult.Skipped);
        GitOpsAgentLog.Synchronized(logger, state.ProjectPath, batch.CommitId, outcome.Status, applied, unchanged, pruned, failed, skippedAll);
        return outcome;
    }

    /// <summary>Checks the given objects against the cluster and re-applies the ones that drifted or were deleted.</summary>
    public async Task<List<GitOpsObjectState>> RepairAsync(ProjectSyncState state, IReadOnlyCollection<ObjectId> ids, CancellationToken cancellationToken)
    {
        var results = new ConcurrentBag<GitOpsObjectState>();
        var targets = ids.Select(id => state.Managed.TryGetValue(id, out var p) ? p : null).OfType<PlannedObject>().ToList();
        await System.Threading.Tasks.Parallel.ForEachAsync(targets, ParallelOptionsFor(cancellationToken), async (p, ct) =>
        {
            try
            {
                var live = await client.GetAsync(p.Resource!, p.Id.Namespace, p.Id.Name, ct).ConfigureAwait(false);
                if (live is not null)
                {
                    var owner = Annotation(live, InventoryPolicyDecision.OwningInventoryAnnotation);
                    if (owner != state.Inventory.InventoryId || IsUnchanged(state, p, live))
                    {
                        return; // unchanged, or taken over by another inventory: never fight over it
                    }

                    var expected = state.Applied.TryGetValue(p.Id, out var record) ? record.Expected : ObjectComparer.ComparableShape(p.Desired);
                    var fields = string.Join(", ", ObjectComparer.Differences(live, expected));
                    GitOpsAgentLog.DriftDetected(logger, state.ProjectPath, p.Id.ResourceKey, fields);
                }
                else
                {
                    GitOpsAgentLog.DriftDetected(logger, state.ProjectPath, p.Id.ResourceKey, "deleted");
                }

                var result = await ApplyOneAsync(state, p, live, prefetched: true, ct).ConfigureAwait(false);
                LogResult(state.ProjectPath, result);
                results.Add(result);
            }
            catch (KubernetesApiException e)
            {
                var result = Failed(p, e.Message);
                LogResult(state.ProjectPath, result);
                results.Add(result);
            }
        }).ConfigureAwait(false);
        return [.. results];
    }

    /// <summary>Whether a live object (for example from a watch event) still looks as agentk left it.</summary>
    public bool IsUnchanged(ProjectSyncState state, PlannedObject p, JsonObject live)
    {
        if (Annotation(live, ManifestHashAnnotation) != p.Hash ||
            Annotation(live, InventoryPolicyDecision.OwningInventoryAnnotation) != state.Inventory.InventoryId)
        {
            return false;
        }

        if (state.Applied.TryGetValue(p.Id, out var record) && record.Hash == p.Hash)
        {
            return ObjectComparer.Matches(live, record.Expected);
        }

        var shape = ObjectComparer.ComparableShape(p.Desired);
        if (!ObjectComparer.Matches(live, shape))
        {
            return false;
        }

        state.Applied[p.Id] = new AppliedRecord(p.Hash, (JsonObject)ObjectComparer.Project(live, shape)!);
        return true;
    }

    /// <summary>Waits until applied objects are ready or <c>reconcile_timeout</c> passes; fills in readiness.</summary>
    public async Task AwaitReadinessAsync(ProjectSyncState state, SyncOutcome outcome, CancellationToken cancellationToken)
    {
        if (outcome.DryRun)
        {
            outcome.Status = outcome.Status == GitOpsSyncStatus.Failed ? GitOpsSyncStatus.Failed : GitOpsSyncStatus.Synced;
            return;
        }

        var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < outcome.Objects.Count; i++)
        {
            byKey[outcome.Objects[i].ResourceKey] = i;
        }

        var pending = new ConcurrentDictionary<ObjectId, PlannedObject>();
        foreach (var p in outcome.Applied)
        {
            if (NeedsReadinessCheck(p.Id.GroupKind))
            {
                pending[p.Id] = p;
            }
            else
            {
                SetReadiness(outcome, byKey, p.Id, true, null);
            }
        }

        var deadline = timeProvider.GetUtcNow() + state.Settings.ReconcileTimeout;
        var lastMessage = new ConcurrentDictionary<ObjectId, string>();
        while (!pending.IsEmpty)
        {
            await System.Threading.Tasks.Parallel.ForEachAsync(pending.Values.ToList(), ParallelOptionsFor(cancellationToken), async (p, ct) =>
            {
                try
                {
                    var live = await client.GetAsync(p.Resource!, p.Id.Namespace, p.Id.Name, ct).ConfigureAwait(false);
                    var readiness = live is null ? new ReadinessState(false, "not found") : ReadinessEvaluator.Evaluate(p.Id.GroupKind, live);
                    if (readiness.Ready || readiness.Failed)
                    {
                        pending.TryRemove(p.Id, out _);
                        SetReadiness(outcome, byKey, p.Id, readiness.Ready, readiness.Message);
                        if (readiness.Failed)
                        {
                            GitOpsAgentLog.NotReady(logger, state.ProjectPath, p.Id.ResourceKey, readiness.Message ?? "failed");
                        }
                    }
                    else
                    {
                        lastMessage[p.Id] = readiness.Message ?? "not ready";
                    }
                }
                catch (KubernetesApiException e)
                {
                    lastMessage[p.Id] = e.Message;
                }
            }).ConfigureAwait(false);

            if (pending.IsEmpty || timeProvider.GetUtcNow() >= deadline)
            {
                break;
            }

            await Task.Delay(_options.ReadinessPollInterval, timeProvider, cancellationToken).ConfigureAwait(false);
        }

        foreach (var p in pending.Values)
        {
            var message = lastMessage.TryGetValue(p.Id, out var m) ? m : "not ready";
            SetReadiness(outcome, byKey, p.Id, false, message);
            GitOpsAgentLog.NotReady(logger, state.ProjectPath, p.Id.ResourceKey, message);
        }

        if (outcome.Status != GitOpsSyncStatus.Failed)
        {
            outcome.Status = outcome.Objects.Any(o => o.Ready == false) ? GitOpsSyncStatus.NotReady : GitOpsSyncStatus.Synced;
        }
    }

    private static bool NeedsReadinessCheck(GroupKind gk) =>
        gk is { Group: "apps", Kind: "Deployment" or "StatefulSet" or "DaemonSet" } or { Group: "batch", Kind: "Job" } or
              { Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition" } or { Group: "", Kind: "Namespace" };

    private static void SetReadiness(SyncOutcome outcome, Dictionary<string, int> byKey, ObjectId id, bool ready, string? message)
    {
        lock (outcome.Objects)
        {
            if (byKey.TryGetValue(id.ResourceKey, out var index))
            {
                outcome.Objects[index] = outcome.Objects[index] with { Ready = ready, ReadinessMessage = message };
            }
        }
    }

    private async Task<List<PlannedObject>> PlanAsync(ProjectSyncState state, List<ManifestObject> manifests, SyncOutcome outcome, bool releaseClaims, CancellationToken cancellationToken)
    {
        var settings = state.Settings;
        var planned = new List<PlannedObject>();
        var seen = new Dictionary<ObjectId, PlannedObject>();
        var crds = CrdsInBatch(manifests);
        var missing = new HashSet<(string, string)>();
        foreach (var manifest in manifests)
        {
            var gk = new GroupKind(manifest.Group, manifest.Kind);
            var desired = (JsonObject)manifest.Object.DeepClone();
            var metadata = (JsonObject)desired["metadata"]!;
            ApiResource? resource = null;
            var awaitsCrd = false;
            if (!missing.Contains((manifest.ApiVersion, manifest.Kind)))
            {
                resource = await client.ResolveAsync(manifest.ApiVersion, manifest.Kind, cancellationToken).ConfigureAwait(false);
            }

            if (resource is null)
            {
                missing.Add((manifest.ApiVersion, manifest.Kind));
                if (crds.TryGetValue((manifest.ApiVersion, manifest.Kind), out var fromCrd))
                {
                    resource = fromCrd;
                    awaitsCrd = true;
                }
            }

            string? problem = null;
            if (resource is null)
            {
                problem = $"the API server does not serve {manifest.ApiVersion} {manifest.Kind} (is its CustomResourceDefinition installed?)";
            }
            else if (resource.Namespaced)
            {
                if (string.IsNullOrEmpty(manifest.Namespace))
                {
                    metadata["namespace"] = settings.DefaultNamespace;
                }
            }
            else
            {
                metadata.Remove("namespace");
            }

            problem ??= ValidateMetadata(metadata);
            var ns = resource?.Namespaced == true ? metadata["namespace"]!.GetValue<string>() : "";
            var id = new ObjectId(gk.Group, gk.Kind, ns, manifest.Name);
            if (!settings.IsManaged(gk))
            {
                outcome.Objects.Add(new GitOpsObjectState
                {
                    ResourceKey = id.ResourceKey,
                    Source = manifest.Location,
                    Result = GitOpsObjectResult.Skipped,
                    Message = $"{gk} is excluded by resource_inclusions/resource_exclusions",
                });
                continue;
            }

            var hash = ObjectComparer.Hash(desired);
            var annotations = metadata["annotations"] as JsonObject ?? new JsonObject();
            metadata["annotations"] = annotations;
            annotations[InventoryPolicyDecision.OwningInventoryAnnotation] = state.Inventory.InventoryId;
            annotations[ManifestHashAnnotation] = hash;
            var p = new PlannedObject(manifest, id, desired, hash, resource) { AwaitsCrd = awaitsCrd };
            if (problem is null && seen.TryGetValue(id, out var first))
            {
                problem = $"declared twice in this commit: at {first.Manifest.Location} and at {manifest.Location}";
            }
            else if (problem is null && claims.TryClaim(id, state.ProjectPath) is { } owner)
            {
                problem = $"also declared by manifest project {owner} of this agent; an object can belong to only one manifest project (kept by {owner})";
            }

            if (problem is not null)
            {
                p.Result = Failed(p, problem);
            }
            else
            {
                seen[id] = p;
            }

            planned.Add(p);
        }

        // Release claims of objects this project no longer declares (not when files failed to decode: their objects
        // are unknown and may still be declared there).
        if (releaseClaims)
        {
            claims.Retain(state.ProjectPath, seen.Keys.ToHashSet());
        }

        return planned;
    }

    private static Dictionary<(string ApiVersion, string Kind), ApiResource> CrdsInBatch(List<ManifestObject> manifests)
    {
        var result = new Dictionary<(string, string), ApiResource>();
        foreach (var m in manifests)
        {
            if (m.Group != "apiextensions.k8s.io" || m.Kind != "CustomResourceDefinition" || m.Object["spec"] is not JsonObject spec)
            {
                continue;
            }

            var group = spec["group"]?.GetValue<string>();
            var kind = spec["names"]?["kind"]?.GetValue<string>();
            var plural = spec["names"]?["plural"]?.GetValue<string>();
            var namespaced = spec["scope"]?.GetValue<string>() != "Cluster";
            if (group is null || kind is null || plural is null || spec["versions"] is not JsonArray versions)
            {
                continue;
            }

            foreach (var version in versions)
            {
                if (version?["name"]?.GetValue<string>() is { } name)
                {
                    result[($"{group}/{name}", kind)] = new ApiResource(group, name, kind, plural, namespaced);
                }
            }
        }

        return result;
    }

    private static string? ValidateMetadata(JsonObject metadata)
    {
        foreach (var (key, value) in metadata)
        {
            if (!ObjectMetaFields.Contains(key))
            {
                return $"strict decoding error: unknown field \"metadata.{key}\"";
            }

            if (key is "labels" or "annotations" && value is not null)
            {
                if (value is not JsonObject map)
                {
                    return $"metadata.{key} must be a map of strings";
                }

                foreach (var (k, v) in map)
                {
                    if (v is not JsonValue s || !s.TryGetValue<string>(out _))
                    {
                        return $"metadata.{key}.{k} must be a string (quote it in YAML)";
                    }
                }
            }
        }

        return null;
    }

    private async Task ApplyAllAsync(ProjectSyncState state, List<PlannedObject> objects, CancellationToken cancellationToken)
    {
        if (objects.Count == 0)
        {
            return;
        }

        // Read live objects in bulk where several share a collection; otherwise one GET each.
        var live = new ConcurrentDictionary<ObjectId, JsonObject?>();
        var groups = objects.GroupBy(p => (p.Resource!, p.Id.Namespace)).Where(g => g.Count() >= 4).ToList();
        await System.Threading.Tasks.Parallel.ForEachAsync(groups, ParallelOptionsFor(cancellationToken), async (group, ct) =>
        {
            try
            {
                var (items, _) = await client.ListAsync(group.Key.Item1, group.Key.Namespace, null, ct).ConfigureAwait(false);
                var byName = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
                foreach (var item in items)
                {
                    if (item["metadata"]?["name"]?.GetValue<string>() is { } name)
                    {
                        byName[name] = item;
                    }
                }

                foreach (var p in group)
                {
                    live[p.Id] = byName.GetValueOrDefault(p.Id.Name);
                }
            }
            catch (KubernetesApiException)
            {
                // Fall back to one GET per object (e.g. no list permission).
            }
        }).ConfigureAwait(false);

        await System.Threading.Tasks.Parallel.ForEachAsync(objects, ParallelOptionsFor(cancellationToken), async (p, ct) =>
        {
            var prefetched = live.TryGetValue(p.Id, out var current);
            p.Result = await ApplyOneAsync(state, p, current, prefetched, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private async Task<GitOpsObjectState> ApplyOneAsync(ProjectSyncState state, PlannedObject p, JsonObject? live, bool prefetched, CancellationToken cancellationToken)
    {
        var settings = state.Settings;
        try
        {
            if (!prefetched)
            {
                live = await client.GetAsync(p.Resource!, p.Id.Namespace, p.Id.Name, cancellationToken).ConfigureAwait(false);
            }

            var owner = live is null ? null : Annotation(live, InventoryPolicyDecision.OwningInventoryAnnotation);
            var blocked = InventoryPolicyDecision.ApplyBlockedReason(settings.InventoryPolicy, state.Inventory.InventoryId, live is not null, owner);
            if (blocked is not null)
            {
                return Result(p, GitOpsObjectResult.Skipped, blocked);
            }

            if (live is not null && IsUnchanged(state, p, live))
            {
                return Result(p, GitOpsObjectResult.Unchanged, null);
            }

            if (settings.DryRun == DryRunStrategy.Client)
            {
                return Result(p, GitOpsObjectResult.Skipped, $"dry_run_strategy client: would be {(live is null ? "created" : "configured")}");
            }

            var applied = await client.ApplyAsync(p.Resource!, p.Desired, p.Id.Namespace, p.Id.Name, FieldManager, settings.DryRun == DryRunStrategy.Server, cancellationToken).ConfigureAwait(false);
            if (settings.DryRun == DryRunStrategy.Server)
            {
                return Result(p, GitOpsObjectResult.Skipped, $"dry_run_strategy server: would be {(live is null ? "created" : "configured")} (accepted by the API server)");
            }

            var shape = ObjectComparer.ComparableShape(p.Desired);
            state.Applied[p.Id] = new AppliedRecord(p.Hash, ObjectComparer.Project(applied, shape) as JsonObject ?? shape);
            return Result(p, GitOpsObjectResult.Applied, live is null ? "created" : "configured");
        }
        catch (KubernetesApiException e)
        {
            return Failed(p, e.Message);
        }
    }

    private async Task WaitEstablishedAsync(List<PlannedObject> stage0, CancellationToken cancellationToken)
    {
        var deadline = timeProvider.GetUtcNow() + _options.EstablishTimeout;
        var pending = stage0.Where(p => p.Result?.Result == GitOpsObjectResult.Applied).ToList();
        var delay = TimeSpan.FromMilliseconds(25);
        while (pending.Count > 0 && timeProvider.GetUtcNow() < deadline)
        {
            var still = new ConcurrentBag<PlannedObject>();
            await System.Threading.Tasks.Parallel.ForEachAsync(pending, ParallelOptionsFor(cancellationToken), async (p, ct) =>
            {
                try
                {
                    var live = await client.GetAsync(p.Resource!, p.Id.Namespace, p.Id.Name, ct).ConfigureAwait(false);
                    if (live is null || !ReadinessEvaluator.Evaluate(p.Id.GroupKind, live).Ready)
                    {
                        still.Add(p);
                    }
                }
                catch (KubernetesApiException)
                {
                    still.Add(p);
                }
            }).ConfigureAwait(false);
            pending = [.. still];
            if (pending.Count > 0)
            {
                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
        }

        if (stage0.Any(p => p.Id.IsCrd))
        {
            client.InvalidateDiscovery();
        }
    }

    private async Task<string?> PruneAsync(
        ProjectSyncState state,
        string commitId,
        List<PlannedObject> planned,
        HashSet<ObjectId> plannedIds,
        List<ObjectId> candidates,
        int failures,
        int failedFiles,
        HashSet<ObjectId> keep,
        SyncOutcome outcome,
        CancellationToken cancellationToken)
    {
        var settings = state.Settings;
        var managed = candidates.Where(id => settings.IsManaged(id.GroupKind)).ToList();

        // Entries of excluded kinds are kept untouched.
        keep.UnionWith(candidates.Where(id => !settings.IsManaged(id.GroupKind)));
        if (managed.Count == 0)
        {
            return null;
        }

        string? reason = null;
        if (!settings.Prune)
        {
            reason = $"prune is disabled; {managed.Count} object(s) that left the manifests stay in the cluster";
        }
        else if (failedFiles > 0)
        {
            reason = $"{failedFiles} manifest file(s) could not be decoded and their objects are unknown, so the {managed.Count} object(s) not in the decoded files were not pruned";
        }
        else if (failures > 0)
        {
            reason = $"{failures} object(s) failed to apply, so the {managed.Count} object(s) that left the manifests were not pruned";
        }
        else if (planned.Count == 0 && !settings.AllowEmptyPrune)
        {
            reason = $"the paths selected no object; the {managed.Count} object(s) of the inventory were not pruned (set allow_empty_prune: true to allow it)";
        }

        if (reason is not null)
        {
            GitOpsAgentLog.PruneSkipped(logger, state.ProjectPath, commitId, reason);
            keep.UnionWith(managed);
            return reason;
        }

        var protectedNamespaces = new HashSet<string>(plannedIds.Select(id => id.Namespace).Where(ns => ns.Length > 0), StringComparer.Ordinal)
        {
            state.Inventory.Namespace,
        };

        var groups = new[]
        {
            managed.Where(id => id.Namespace.Length > 0).ToList(),
            managed.Where(id => id.Namespace.Length == 0 && !id.IsCrd && !id.IsNamespace).ToList(),
            managed.Where(id => id.IsCrd || id.IsNamespace).ToList(),
        };

        var results = new ConcurrentBag<GitOpsObjectState>();
        var keepBag = new ConcurrentBag<ObjectId>();
        var stillDeleting = new HashSet<ObjectId>();
        for (var g = 0; g < groups.Length; g++)
        {
            var deleted = new ConcurrentBag<(ApiResource Resource, ObjectId Id)>();
            await System.Threading.Tasks.Parallel.ForEachAsync(groups[g], ParallelOptionsFor(cancellationToken), async (id, ct) =>
            {
                var (result, kept, resource) = await PruneOneAsync(state, id, protectedNamespaces, ct).ConfigureAwait(false);
                if (result is not null)
                {
                    results.Add(result);
                }

                if (kept)
                {
                    keepBag.Add(id);
                }
                else if (resource is not null && result?.Result == GitOpsObjectResult.Pruned)
                {
                    deleted.Add((resource, id));
                }
            }).ConfigureAwait(false);

            // Like cli-utils, wait (up to prune_timeout) until deleted objects are gone before deleting what they
            // depend on (namespaced → cluster-scoped → CRDs/Namespaces), and before reporting them pruned.
            if (!deleted.IsEmpty && settings.DryRun == DryRunStrategy.None)
            {
                var remaining = await WaitGoneAsync([.. deleted], settings.PruneTimeout, cancellationToken).ConfigureAwait(false);
                foreach (var (_, id) in remaining)
                {
                    stillDeleting.Add(id);
                }
            }
        }

        keep.UnionWith(keepBag);
        foreach (var result in results.OrderBy(r => r.ResourceKey, StringComparer.Ordinal))
        {
            var final = stillDeleting.Any(id => id.ResourceKey == result.ResourceKey)
                ? result with { Message = $"{result.Message}; still being deleted after prune_timeout ({settings.PruneTimeout})" }
                : result;
            outcome.Objects.Add(final);
            LogResult(state.ProjectPath, final);
        }

        return null;
    }

    private async Task<(GitOpsObjectState? Result, bool Keep, ApiResource? Resource)> PruneOneAsync(
        ProjectSyncState state,
        ObjectId id,
        HashSet<string> protectedNamespaces,
        CancellationToken cancellationToken)
    {
        var settings = state.Settings;
        try
        {
            var resource = await client.ResolveAsync(id.GroupKind, cancellationToken).ConfigureAwait(false);
            if (resource is null)
            {
                return (null, false, null); // the kind is gone (its CRD was deleted), and with it the object
            }

            if (id.IsNamespace && protectedNamespaces.Contains(id.Name))
            {
                return (Prune(id, GitOpsObjectResult.Skipped, "not pruned: the namespace still holds objects of this manifest project or its inventory"), true, resource);
            }

            var live = await client.GetAsync(resource, id.Namespace, id.Name, cancellationToken).ConfigureAwait(false);
            if (live is null)
            {
                return (null, false, resource);
            }

            var annotations = (live["metadata"]?["annotations"] as JsonObject)?
                .Where(a => a.Value is JsonValue)
                .ToDictionary(a => a.Key, a => a.Value!.ToString(), StringComparer.Ordinal);
            var blocked = InventoryPolicyDecision.PruneBlockedReason(
                state.Inventory.InventoryId, Annotation(live, InventoryPolicyDecision.OwningInventoryAnnotation), annotations);
            if (blocked is not null)
            {
                return (Prune(id, GitOpsObjectResult.Skipped, blocked), false, resource);
            }

            if (settings.DryRun == DryRunStrategy.Client)
            {
                return (Prune(id, GitOpsObjectResult.Skipped, "dry_run_strategy client: would be pruned"), true, resource);
            }

            await client.DeleteAsync(resource, id.Namespace, id.Name, settings.PropagationPolicy, settings.DryRun == DryRunStrategy.Server, cancellationToken).ConfigureAwait(false);
            if (settings.DryRun == DryRunStrategy.Server)
            {
                return (Prune(id, GitOpsObjectResult.Skipped, "dry_run_strategy server: would be pruned"), true, resource);
            }

            return (Prune(id, GitOpsObjectResult.Pruned, $"deleted (propagation {settings.PropagationPolicy})"), false, resource);
        }
        catch (KubernetesApiException e)
        {
            return (Prune(id, GitOpsObjectResult.Failed, $"prune failed: {e.Message}"), true, null);
        }
    }

    private async Task<List<(ApiResource Resource, ObjectId Id)>> WaitGoneAsync(List<(ApiResource Resource, ObjectId Id)> deleted, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = timeProvider.GetUtcNow() + timeout;
        var pending = deleted;
        while (pending.Count > 0 && timeProvider.GetUtcNow() < deadline)
        {
            var still = new ConcurrentBag<(ApiResource, ObjectId)>();
            await System.Threading.Tasks.Parallel.ForEachAsync(pending, ParallelOptionsFor(cancellationToken), async (item, ct) =>
            {
                try
                {
                    if (await client.GetAsync(item.Resource, item.Id.Namespace, item.Id.Name, ct).ConfigureAwait(false) is not null)
                    {
                        still.Add(item);
                    }
                }
                catch (KubernetesApiException)
                {
                }
            }).ConfigureAwait(false);
            pending = [.. still];
            if (pending.Count > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }

        return pending;
    }

    private ParallelOptions ParallelOptionsFor(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = _options.ApplyParallelism, CancellationToken = cancellationToken };

    private void LogResult(string projectPath, GitOpsObjectState result)
    {
        var text = result.Result.ToString().ToLowerInvariant() + (result.Message is null ? "" : $": {result.Message}");
        if (result.Result == GitOpsObjectResult.Failed)
        {
            GitOpsAgentLog.SyncedWithError(logger, projectPath, result.ResourceKey, text);
        }
        else
        {
            GitOpsAgentLog.Synced(logger, projectPath, result.ResourceKey, text);
        }
    }

    internal static string? Annotation(JsonObject obj, string key) =>
        obj["metadata"]?["annotations"]?[key] is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    private static GitOpsObjectState Result(PlannedObject p, GitOpsObjectResult result, string? message) =>
        new() { ResourceKey = p.Id.ResourceKey, Source = p.Manifest.Location, Result = result, Message = message };

    private static GitOpsObjectState Failed(PlannedObject p, string message) => Result(p, GitOpsObjectResult.Failed, message);

    private static GitOpsObjectState Prune(ObjectId id, GitOpsObjectResult result, string message) =>
        new() { ResourceKey = id.ResourceKey, Result = result, Message = message };
}
