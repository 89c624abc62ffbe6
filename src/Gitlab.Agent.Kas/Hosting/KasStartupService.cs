using Gitlab.Agent.Kas.Diagnostics;
using Gitlab.Agent.Kas.Registry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Kas;

/// <summary>
/// Opens the registry (creating or migrating its schema) before the listeners start, applies the project visibility
/// from <c>repositories.projects</c>, and logs the bound addresses once the host has started.
/// </summary>
internal sealed class KasStartupService(
    IAgentRegistry registry,
    KasRuntimeSettings settings,
    KasAddresses addresses,
    IHostApplicationLifetime lifetime,
    ILogger<KasStartupService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var project in settings.Options.Configuration.Repositories?.Projects ?? [])
        {
            await registry.SetProjectVisibilityAsync(project.Path, project.Public, cancellationToken);
        }

        lifetime.ApplicationStarted.Register(() =>
        {
            if (!settings.Options.ConfigureKestrel)
            {
                return;
            }

            foreach (var listener in settings.Listeners)
            {
                var address = addresses.Get(listener.Listener)?.ToString() ?? listener.Address;
                var name = listener.Listener switch
                {
                    KasListener.Agent => "agentk",
                    KasListener.Api => "api",
                    KasListener.KubernetesApi => "kubernetes_api",
                    _ => "observability",
                };
                KasLog.Listening(logger, name, address);
            }
        });
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
