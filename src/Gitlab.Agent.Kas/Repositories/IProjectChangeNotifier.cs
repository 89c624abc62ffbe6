namespace Gitlab.Agent.Kas.Repositories;

/// <summary>
/// Tells pollers that a project may have new commits: raised by push notifications (HTTP endpoint, git hooks,
/// webhooks) and by the fetch poller of remote repositories.
/// </summary>
public interface IProjectChangeNotifier
{
    /// <summary>Signals that <paramref name="projectPath"/> changed.</summary>
    void NotifyChanged(string projectPath);

    /// <summary>
    /// Yields the path of every project that changes from now on, until <paramref name="cancellationToken"/> is cancelled.
    /// Slow readers see the latest changes; no project is dropped. Changes are observed from the first
    /// <c>MoveNextAsync</c> call on, so start enumerating before the first poll to miss nothing.
    /// </summary>
    IAsyncEnumerable<string> WatchAsync(CancellationToken cancellationToken = default);
}
