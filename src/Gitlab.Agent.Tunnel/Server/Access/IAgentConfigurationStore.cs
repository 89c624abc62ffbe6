using Gitlab.Agent.Protocol.AgentCfg;

namespace Gitlab.Agent.Tunnel.Server.Access;

/// <summary>
/// The current configuration file of each agent, as far as access through the Kubernetes API proxy is concerned
/// (<c>ci_access</c>, <c>user_access</c>). The default implementation reads
/// <c>.gitlab/agents/&lt;name&gt;/config.yaml</c> at the head of the configuration project (cached per commit).
/// </summary>
public interface IAgentConfigurationStore
{
    /// <summary>The agent and its configuration, or <see langword="null"/> for an unknown agent.</summary>
    Task<AgentConfigurationEntry?> GetAsync(long agentId, CancellationToken cancellationToken = default);

    /// <summary>Every registered agent with its configuration.</summary>
    Task<IReadOnlyList<AgentConfigurationEntry>> ListAsync(CancellationToken cancellationToken = default);
}

/// <summary>An agent and its configuration file.</summary>
/// <param name="AgentId">Agent id.</param>
/// <param name="AgentName">Agent name.</param>
/// <param name="ConfigProject">The agent's configuration project.</param>
/// <param name="Configuration">The parsed configuration file (empty when the file is missing or invalid).</param>
public sealed record AgentConfigurationEntry(long AgentId, string AgentName, ProjectRef ConfigProject, ConfigurationFile Configuration);
