using Gitlab.Agent.Protocol.Entity;

namespace Gitlab.Agent.Agentk.Kas;

/// <summary>What agentk knows about itself: its metadata and, once the first configuration arrived, its agent id.</summary>
public interface IAgentInfo
{
    /// <summary>Version, commit, pod namespace/name and Kubernetes version sent to KAS.</summary>
    AgentMeta Meta { get; }

    /// <summary>The agent id from the configuration KAS sent, or <see langword="null"/> before the first configuration.</summary>
    long? AgentId { get; }

    /// <summary>Path of the configuration project, or <see langword="null"/> before the first configuration.</summary>
    string? ConfigProjectPath { get; }
}
