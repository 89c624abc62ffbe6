namespace Gitlab.Agent.GitOps;

/// <summary>
/// The latest synchronization of one manifest project by one agent, as the agent reported it to KAS
/// (JSON with snake_case keys through <c>GitlabAccess/MakeRequest</c>, module <c>gitops_sync_state</c>).
/// </summary>
public sealed record GitOpsSyncState
{
    /// <summary>The agent that synchronized; KAS sets it from the authenticated agent, not from the report.</summary>
    public long AgentId { get; init; }

    /// <summary>Manifest project path, e.g. <c>group/manifests</c>.</summary>
    public required string ProjectId { get; init; }

    /// <summary>The commit the objects came from.</summary>
    public required string CommitId { get; init; }

    /// <summary>Overall outcome.</summary>
    public required GitOpsSyncStatus Status { get; init; }

    /// <summary>Why the synchronization failed or what was held back (e.g. "prune skipped: 2 objects failed").</summary>
    public string? Message { get; init; }

    /// <summary>When the agent finished this synchronization (agent clock).</summary>
    public DateTimeOffset SyncedAt { get; init; }

    /// <summary>When KAS received the report (KAS clock).</summary>
    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>One entry per object that was applied, left unchanged, pruned, failed or skipped.</summary>
    public IReadOnlyList<GitOpsObjectState> Objects { get; init; } = [];
}

/// <summary>What happened to one object.</summary>
public sealed record GitOpsObjectState
{
    /// <summary><c>group/Kind/namespace/name</c> (core group empty: <c>/ConfigMap/ns/name</c>; cluster-scoped: empty namespace).</summary>
    public required string ResourceKey { get; init; }

    /// <summary>The file the object came from, when known.</summary>
    public string? Source { get; init; }

    /// <summary>The outcome.</summary>
    public required GitOpsObjectResult Result { get; init; }

    /// <summary>The API server's message for failures, or the reason an object was skipped.</summary>
    public string? Message { get; init; }

    /// <summary>Readiness after <c>reconcile_timeout</c>: <see langword="true"/> ready, <see langword="false"/> not ready, <see langword="null"/> not checked.</summary>
    public bool? Ready { get; init; }

    /// <summary>What is not ready yet (e.g. "Deployment: 1 of 3 replicas available").</summary>
    public string? ReadinessMessage { get; init; }
}

/// <summary>Overall outcome of a synchronization.</summary>
public enum GitOpsSyncStatus
{
    /// <summary>Objects were applied; readiness is still being awaited.</summary>
    Syncing,

    /// <summary>Every object was applied or unchanged, pruning done, and every object became ready.</summary>
    Synced,

    /// <summary>Applied, but some objects did not become ready within <c>reconcile_timeout</c>.</summary>
    NotReady,

    /// <summary>Some objects failed or were skipped, or the manifests could not be decoded; nothing was pruned.</summary>
    Failed,
}

/// <summary>Per-object outcome.</summary>
public enum GitOpsObjectResult
{
    /// <summary>Created or changed with server-side apply.</summary>
    Applied,

    /// <summary>Already as desired; no write was made.</summary>
    Unchanged,

    /// <summary>Deleted because it left the manifest set.</summary>
    Pruned,

    /// <summary>The API server (or local validation) rejected it; see the message.</summary>
    Failed,

    /// <summary>Not touched (inventory policy, filters, another manifest project owns it, dry run); see the message.</summary>
    Skipped,
}
