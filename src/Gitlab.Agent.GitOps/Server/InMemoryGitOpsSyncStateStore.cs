using System.Collections.Concurrent;

namespace Gitlab.Agent.GitOps.Server;

internal sealed class InMemoryGitOpsSyncStateStore : IGitOpsSyncStateStore
{
    private readonly ConcurrentDictionary<(long AgentId, string ProjectId), GitOpsSyncState> _states = new();

    public ValueTask SetAsync(GitOpsSyncState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        _states[(state.AgentId, state.ProjectId.ToLowerInvariant())] = state;
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<GitOpsSyncState>> GetAsync(long agentId, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<GitOpsSyncState> result = [.. _states
            .Where(p => p.Key.AgentId == agentId)
            .Select(p => p.Value)
            .OrderBy(s => s.ProjectId, StringComparer.Ordinal)];
        return ValueTask.FromResult(result);
    }
}
