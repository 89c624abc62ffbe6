using Gitlab.Agent.Tunnel.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gitlab.Agent.Tunnel.Server;

/// <summary>Registration of the KAS half of the reverse tunnel (without the Kubernetes API proxy).</summary>
internal static class TunnelServerServiceCollectionExtensions
{
    public static IServiceCollection AddTunnelServerCore(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddOptions<TunnelServerOptions>();
        services.TryAddSingleton<TunnelMetrics>();
        services.TryAddSingleton<TunnelRegistry>();
        services.TryAddSingleton<ITunnelFinder>(sp => sp.GetRequiredService<TunnelRegistry>());
        services.TryAddSingleton<AgentIdentityResolver>();
        services.TryAddSingleton<ITunnelConnectionProvider, TunnelConnectionProvider>();
        services.TryAddSingleton<ReverseTunnelService>();
        return services;
    }
}
