using System.Collections.Concurrent;
using Gitlab.Agent.Config;
using Gitlab.Agent.Tunnel.Server.Access;

namespace Gitlab.Agent.Tunnel.Tests.Infrastructure;

/// <summary>Agents and their configuration files, kept in memory.</summary>
internal sealed class TestAgentConfigurationStore : IAgentConfigurationStore
{
    private readonly ConcurrentDictionary<long, AgentConfigurationEntry> _agents = new();

    public void Set(long agentId, string agentName, ProjectRef configProject, string configYaml) =>
        _agents[agentId] = new AgentConfigurationEntry(agentId, agentName, configProject, AgentConfigurationFile.Parse(configYaml, $".gitlab/agents/{agentName}/config.yaml"));

    public Task<AgentConfigurationEntry?> GetAsync(long agentId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_agents.TryGetValue(agentId, out var entry) ? entry : null);

    public Task<IReadOnlyList<AgentConfigurationEntry>> ListAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<AgentConfigurationEntry>>(_agents.Values.OrderBy(a => a.AgentId).ToList());
}
