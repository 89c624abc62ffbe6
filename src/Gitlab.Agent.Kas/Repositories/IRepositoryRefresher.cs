namespace Gitlab.Agent.Kas.Repositories;

/// <summary>Brings a project's repository up to date (fetch for remote sources, re-read refs for local ones).</summary>
internal interface IRepositoryRefresher
{
    /// <summary>Projects read recently; the poller refreshes these.</summary>
    IReadOnlyCollection<string> ActiveProjects { get; }

    /// <summary>Refreshes the project and returns whether any of its refs changed since the previous refresh.</summary>
    Task<bool> RefreshAsync(string projectPath, CancellationToken cancellationToken = default);
}
