using System.Collections.Concurrent;
using Gitlab.Agent.Config;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.Protocol.AgentCfg;

namespace Gitlab.Agent.Tunnel.Server.Access;

/// <summary>
/// Default <see cref="IAgentConfigurationStore"/>: agents from the KAS registry, configuration from
/// <c>.gitlab/agents/&lt;name&gt;/config.yaml</c> at the head of the default branch of the configuration project (the
/// same file KAS streams to agentk). Parsed files are cached per agent and commit. A missing or invalid file counts
/// as an empty configuration (only the configuration project's own jobs may then use the agent).
/// </summary>
internal sealed class RepositoryAgentConfigurationStore(IAgentRegistry registry, IRepositorySource repositories) : IAgentConfigurationStore
{
    private const long MaxFileSize = 128 * 1024;
    private readonly ConcurrentDictionary<long, (string Commit, ConfigurationFile File)> _cache = new();

    public async Task<AgentConfigurationEntry?> GetAsync(long agentId, CancellationToken cancellationToken = default)
    {
        var agent = await registry.GetAgentAsync(agentId, cancellationToken).ConfigureAwait(false);
        return agent is null ? null : await LoadAsync(agent, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AgentConfigurationEntry>> ListAsync(CancellationToken cancellationToken = default)
    {
        var agents = await registry.ListAgentsAsync(null, cancellationToken).ConfigureAwait(false);
        var result = new List<AgentConfigurationEntry>(agents.Count);
        foreach (var agent in agents)
        {
            result.Add(await LoadAsync(agent, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    private async Task<AgentConfigurationEntry> LoadAsync(AgentInfo agent, CancellationToken cancellationToken)
    {
        var file = new ConfigurationFile();
        try
        {
            var commit = await repositories.ResolveCommitAsync(agent.ProjectPath, null, cancellationToken).ConfigureAwait(false);
            if (_cache.TryGetValue(agent.Id, out var cached) && cached.Commit == commit)
            {
                file = cached.File;
            }
            else
            {
                var path = AgentConfigurationFile.PathFor(agent.Name);
                var content = await repositories.ReadFileAsync(agent.ProjectPath, commit, path, MaxFileSize, cancellationToken).ConfigureAwait(false);
                try
                {
                    file = content is null ? new ConfigurationFile() : AgentConfigurationFile.Parse(content, path);
                }
                catch (ConfigurationException)
                {
                    // KAS reports invalid files on the agent's configuration stream; here it grants nothing extra.
                }

                _cache[agent.Id] = (commit, file);
            }
        }
        catch (RepositoryException)
        {
            // No repository yet: empty configuration.
        }

        return new AgentConfigurationEntry(agent.Id, agent.Name, new ProjectRef(agent.ProjectId, agent.ProjectPath), file);
    }
}
