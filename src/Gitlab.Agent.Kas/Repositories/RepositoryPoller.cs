using Gitlab.Agent.Kas.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Kas.Repositories;

/// <summary>
/// Every <c>repositories.poll_period</c>: fetches remote repositories / re-reads local refs of the projects in use and
/// raises <see cref="IProjectChangeNotifier.NotifyChanged"/> for those whose refs moved.
/// </summary>
internal sealed class RepositoryPoller(
    IRepositoryRefresher refresher,
    IProjectChangeNotifier notifier,
    KasRuntimeSettings settings,
    TimeProvider timeProvider,
    ILogger<RepositoryPoller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await PollOnceAsync(stoppingToken);
            try
            {
                await Task.Delay(settings.RepositoryPollPeriod, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    internal async Task PollOnceAsync(CancellationToken cancellationToken)
    {
        foreach (var project in refresher.ActiveProjects)
        {
            try
            {
                if (await refresher.RefreshAsync(project, cancellationToken))
                {
                    KasLog.ProjectChanged(logger, project, "poll");
                    notifier.NotifyChanged(project);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // One project's failure (host down, corrupt mirror, disk full) must not stop polling the others.
                KasLog.RepositoryPollFailed(logger, project, ex.Message);
            }
        }
    }
}
