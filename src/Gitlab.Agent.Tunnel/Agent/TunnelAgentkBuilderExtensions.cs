using Gitlab.Agent.Agentk;
using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Agentk.Modules;
using Gitlab.Agent.Tunnel.Agent;
using Gitlab.Agent.Tunnel.Internal;
using Gitlab.Agent.Tunnel.Transport;
using k8s;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the agentk half of the tunnel.</summary>
public static class TunnelAgentkBuilderExtensions
{
    /// <summary>
    /// Adds the reverse tunnel to agentk: a pool of <c>ReverseTunnel/Connect</c> streams to KAS serving
    /// <c>KubernetesApi/MakeRequest</c> against the cluster (<see cref="KubernetesClientConfiguration"/> from DI, with the
    /// agent's credentials and the impersonation KAS asks for). Also adds the <c>ws://</c>/<c>wss://</c> transport. Idempotent.
    /// </summary>
    public static IAgentkBuilder AddTunnel(this IAgentkBuilder builder, Action<TunnelAgentOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (configure is not null)
        {
            services.Configure(configure);
        }

        builder.AddWebSocketTransport();
        services.AddMetrics();
        services.AddOptions<TunnelAgentOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TunnelAgentOptions>, TunnelAgentOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TunnelMetrics>();
        services.TryAddSingleton(sp => new Lazy<KubernetesHttpClient>(() => new KubernetesHttpClient(sp.GetRequiredService<KubernetesClientConfiguration>())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAgentTunnelHandler, KubernetesApiTunnelHandler>(sp =>
        {
            var client = sp.GetRequiredService<Lazy<KubernetesHttpClient>>();
            var version = sp.GetService<IAgentInfo>()?.Meta is { } meta ? $"{meta.Version}/{meta.CommitId}" : typeof(KubernetesApiTunnelHandler).Assembly.GetName().Version?.ToString() ?? "unknown";
            return new KubernetesApiTunnelHandler(() => client.Value, version, sp.GetRequiredService<ILogger<KubernetesApiTunnelHandler>>());
        }));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAgentModule, ReverseTunnelAgentModule>());
        return builder;
    }

    /// <summary>Lets agentk dial KAS over <c>ws://</c> and <c>wss://</c> addresses (gRPC inside a WebSocket). Idempotent.</summary>
    public static IAgentkBuilder AddWebSocketTransport(this IAgentkBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IKasTransport, WebSocketKasTransport>());
        return builder;
    }
}
