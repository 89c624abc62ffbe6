namespace Gitlab.Agent.GitOps.Server;

/// <summary>
/// Keeps the latest <see cref="GitOpsSyncState"/> per agent and manifest project. The default is in memory;
/// replace the registration to persist it.
/// </summary>
public interface IGitOpsSyncStateStore
{
    /// <summary>Stores <paramref name="state"/>, replacing the previous state of the same agent and project.</summary>
    ValueTask SetAsync(GitOpsSyncState state, CancellationToken cancellationToken = default);

    /// <summary>Returns the latest state of every manifest project of <paramref name="agentId"/>, ordered by project.</summary>
    ValueTask<IReadOnlyList<GitOpsSyncState>> GetAsync(long agentId, CancellationToken cancellationToken = default);
}
