namespace Gitlab.Agent.Kas.Registry;

/// <summary>A connection of an agentk instance (one configuration stream, or one registered pod).</summary>
/// <param name="AgentId">The agent.</param>
/// <param name="ConnectionId">Connection id (agentk's <c>pod_id</c> for registrations, random per configuration stream otherwise).</param>
/// <param name="ConnectedAt">When the connection was first seen.</param>
/// <param name="LastSeenAt">When the connection was last seen.</param>
public sealed record AgentConnectionInfo(long AgentId, long ConnectionId, DateTimeOffset ConnectedAt, DateTimeOffset LastSeenAt)
{
    /// <summary>Id of the agent's configuration project (filled in by the registry).</summary>
    public long ProjectId { get; init; }

    /// <summary>agentk version (<c>AgentMeta.version</c>).</summary>
    public string? Version { get; init; }

    /// <summary>agentk commit (<c>AgentMeta.commit_id</c>).</summary>
    public string? CommitId { get; init; }

    /// <summary>Namespace of the agentk pod.</summary>
    public string? PodNamespace { get; init; }

    /// <summary>Name of the agentk pod.</summary>
    public string? PodName { get; init; }

    /// <summary>Kubernetes version of the agent's cluster (<c>git_version</c>), when reported.</summary>
    public string? KubernetesVersion { get; init; }

    /// <summary>When the connection ended, or <see langword="null"/> while it is open.</summary>
    public DateTimeOffset? DisconnectedAt { get; init; }
}
