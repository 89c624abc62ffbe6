using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Agentk.Modules;
using Gitlab.Agent.Protocol.AgentCfg;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.GitOps.Agent;

/// <summary>
/// The agentk half of GitOps: one <see cref="ManifestProjectWorker"/> per <c>gitops.manifest_projects[]</c> entry.
/// A worker restarts only when its block of the configuration changed, and stops when the block is removed.
/// </summary>
internal sealed class GitOpsAgentModule(
    IServiceProvider services,
    IKasConnection kas,
    ObjectClaims claims,
    SyncStateReporter reporter,
    IOptions<GitOpsAgentOptions> options,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory) : IAgentModule
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Gitlab.Agent.GitOps");

    public string Name => "gitops";

    public async Task RunAsync(IAsyncEnumerable<AgentConfiguration> configurations, CancellationToken cancellationToken)
    {
        var workers = new Dictionary<string, Worker>(StringComparer.Ordinal);
        try
        {
            await foreach (var configuration in configurations.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                var desired = Desired(configuration);
                foreach (var (key, worker) in workers.ToList())
                {
                    if (!desired.TryGetValue(key, out var wanted) || !wanted.Block.Equals(worker.Block) || worker.AgentId != configuration.AgentId)
                    {
                        if (wanted.Block is not null)
                        {
                            GitOpsAgentLog.RestartingWorker(_logger, worker.Settings.ProjectPath);
                        }
                        else
                        {
                            GitOpsAgentLog.StoppingWorker(_logger, worker.Settings.ProjectPath);
                        }

                        await worker.StopAsync().ConfigureAwait(false);
                        workers.Remove(key);
                    }
                }

                foreach (var (key, (block, settings)) in desired)
                {
                    if (workers.ContainsKey(key))
                    {
                        continue;
                    }

                    SyncEngine engine;
                    try
                    {
                        engine = services.GetRequiredService<SyncEngine>();
                    }
                    catch (Exception e) when (e is InvalidOperationException or ArgumentException)
                    {
                        var reason = $"manifest project {settings.ProjectPath} cannot be synchronized: {e.Message}";
                        GitOpsAgentLog.InvalidProject(_logger, reason);
                        continue;
                    }

                    GitOpsAgentLog.StartingWorker(_logger, settings.ProjectPath, settings.RefDescription);
                    var instance = new ManifestProjectWorker(settings, configuration.AgentId, kas, engine, claims, reporter, options.Value, timeProvider, _logger);
                    var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    workers[key] = new Worker(block, settings, configuration.AgentId, cts, Task.Run(() => RunWorkerAsync(instance, settings, cts.Token), CancellationToken.None));
                }
            }
        }
        finally
        {
            foreach (var worker in workers.Values)
            {
                await worker.StopAsync().ConfigureAwait(false);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Keeps a worker running: an unexpected failure restarts it after a delay instead of ending GitOps for the project.</summary>
    private async Task RunWorkerAsync(ManifestProjectWorker worker, ManifestProjectSettings settings, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(options.Value.RetryInitialBackoff, options.Value.RetryMaxBackoff);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await worker.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var reason = $"synchronization worker for {settings.ProjectPath} failed and restarts: {e.Message}";
                GitOpsAgentLog.InvalidProject(_logger, reason);
            }

            if (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(backoff.Next(), timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private Dictionary<string, (ManifestProjectCF Block, ManifestProjectSettings Settings)> Desired(AgentConfiguration configuration)
    {
        var desired = new Dictionary<string, (ManifestProjectCF, ManifestProjectSettings)>(StringComparer.Ordinal);
        foreach (var block in configuration.Gitops?.ManifestProjects ?? [])
        {
            ManifestProjectSettings settings;
            try
            {
                settings = ManifestProjectSettings.From(block, configuration.ProjectPath);
            }
            catch (ArgumentException e)
            {
                GitOpsAgentLog.InvalidProject(_logger, e.Message);
                continue;
            }

            var key = settings.ProjectPath.ToLowerInvariant();
            if (desired.ContainsKey(key))
            {
                var reason = $"manifest project {settings.ProjectPath} is listed more than once in gitops.manifest_projects; only the first entry is synchronized (they would share one inventory)";
                GitOpsAgentLog.InvalidProject(_logger, reason);
                continue;
            }

            desired[key] = (block, settings);
        }

        return desired;
    }

    private sealed record Worker(ManifestProjectCF Block, ManifestProjectSettings Settings, long AgentId, CancellationTokenSource Cts, Task Task)
    {
        public async Task StopAsync()
        {
            await Cts.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.ConfigureAwait(false);
            }
            catch (Exception)
            {
            }

            Cts.Dispose();
        }
    }
}
