using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Gitlab.Agent.GitOps.Agent;

/// <summary>The files KAS sent for one commit.</summary>
internal sealed record SyncBatch(string CommitId, long ProjectNumericId, IReadOnlyList<(string Source, byte[] Data)> Files);

/// <summary>What agentk expects a managed object to look like after its last apply (only the fields it sets).</summary>
internal sealed record AppliedRecord(string Hash, JsonObject Expected);

/// <summary>State of one manifest project kept across synchronizations (one per worker).</summary>
internal sealed class ProjectSyncState(ManifestProjectSettings settings, InventoryStore inventory)
{
    public ManifestProjectSettings Settings { get; } = settings;

    public InventoryStore Inventory { get; } = inventory;

    public string ProjectPath => Settings.ProjectPath;

    /// <summary>Expected live state of every object applied or found unchanged.</summary>
    public ConcurrentDictionary<ObjectId, AppliedRecord> Applied { get; } = new();

    /// <summary>The objects of the last synchronization that are applied and owned (watched for drift).</summary>
    public IReadOnlyDictionary<ObjectId, PlannedObject> Managed { get; set; } = new Dictionary<ObjectId, PlannedObject>();

    /// <summary>The last batch, re-synchronized periodically.</summary>
    public SyncBatch? LastBatch { get; set; }
}

/// <summary>A desired object prepared for apply.</summary>
internal sealed class PlannedObject(ManifestObject manifest, ObjectId id, JsonObject desired, string hash, ApiResource? resource)
{
    public ManifestObject Manifest { get; } = manifest;

    public ObjectId Id { get; } = id;

    /// <summary>The object as sent: default namespace filled in, owning-inventory and manifest-hash annotations added.</summary>
    public JsonObject Desired { get; } = desired;

    /// <summary>Hash of the manifest (before agentk's annotations).</summary>
    public string Hash { get; } = hash;

    public ApiResource? Resource { get; set; } = resource;

    /// <summary>Its CRD is in the same commit and not yet served.</summary>
    public bool AwaitsCrd { get; set; }

    public GitOpsObjectState? Result { get; set; }

    /// <summary>0: CRDs and Namespaces, 1: other cluster-scoped objects, 2: namespaced objects.</summary>
    public int Stage => Id.IsCrd || Id.IsNamespace ? 0 : Id.Namespace.Length == 0 ? 1 : 2;
}

/// <summary>Result of one synchronization.</summary>
internal sealed class SyncOutcome
{
    public required string CommitId { get; init; }

    public GitOpsSyncStatus Status { get; set; }

    public string? Message { get; set; }

    public List<GitOpsObjectState> Objects { get; } = [];

    /// <summary>Applied or unchanged objects whose readiness is awaited.</summary>
    public List<PlannedObject> Applied { get; } = [];

    public bool DryRun { get; init; }
}
