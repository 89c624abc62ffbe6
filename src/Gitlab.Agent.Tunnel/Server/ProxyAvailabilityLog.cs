using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Tunnel.Server;

/// <summary>
/// Says at start when the Kubernetes API proxy is off because KAS has no <c>agent.kubernetes_api</c> listener
/// (<c>MapKas()</c> then never maps it): the tunnel still works, only kubectl through KAS does not.
/// </summary>
internal sealed partial class ProxyAvailabilityLog(TunnelKasModule module, ILogger<ProxyAvailabilityLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!module.ProxyMapped)
        {
            ProxyDisabled(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 5310, EventName = "KubernetesApiProxyDisabled", Level = LogLevel.Information,
        Message = "Kubernetes API proxy disabled: KAS has no agent.kubernetes_api listener (set agent.kubernetes_api.listen.address to let CI jobs and users run kubectl through KAS)")]
    private static partial void ProxyDisabled(ILogger logger);
}
