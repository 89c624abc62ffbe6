using Gitlab.Agent.Agentk;
using Gitlab.Agent.Agentk.Configuration;
using Gitlab.Agent.Agentk.Hosting;
using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Agentk.Kubernetes;
using Gitlab.Agent.Agentk.Logging;
using Gitlab.Agent.Agentk.Modules;
using Gitlab.Agent.Agentk.Observability;
using k8s;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the agentk runtime.</summary>
public static class AgentkServiceCollectionExtensions
{
    /// <summary>
    /// Adds the agentk runtime: the KAS connection (<see cref="IKasConnection"/>), the configuration watcher that feeds
    /// every <see cref="IAgentModule"/>, <see cref="IGitlabAccessClient"/>, <see cref="IAgentInfo"/>, agent registration,
    /// the runtime log level from the agent configuration, lazy Kubernetes access (<see cref="IKubernetes"/>) and the
    /// optional observability endpoint. Safe to call more than once: later calls only add <paramref name="configure"/>.
    /// Options are validated when the host starts.
    /// </summary>
    public static IAgentkBuilder AddAgentk(this IServiceCollection services, Action<AgentkOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (services.FirstOrDefault(d => d.ServiceType == typeof(AgentkBuilder))?.ImplementationInstance is AgentkBuilder existing)
        {
            return existing;
        }

        var builder = new AgentkBuilder(services);
        services.AddSingleton(builder);

        services.AddOptions<AgentkOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentkOptions>, AgentkOptionsValidator>());
        services.AddOptions<KasRetryOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddLogging();

        // KAS connection; more transports (ws/wss) are added by other packages.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IKasTransport, GrpcKasTransport>());
        services.TryAddSingleton<IKasConnection, KasConnection>();
        services.TryAddSingleton<AgentInfo>();
        services.TryAddSingleton<IAgentInfo>(sp => sp.GetRequiredService<AgentInfo>());
        services.TryAddSingleton<IGitlabAccessClient, GitlabAccessClient>();

        // Configuration fan-out, runtime log level, run state.
        services.TryAddSingleton<AgentConfigurationHub>();
        services.TryAddSingleton<AgentkRunState>();
        services.TryAddSingleton<AgentkMetrics>();
        services.TryAddSingleton<AgentkLogLevel>();
        services.AddSingleton<IPostConfigureOptions<LoggerFilterOptions>>(sp => sp.GetRequiredService<AgentkLogLevel>());
        services.AddSingleton<IOptionsChangeTokenSource<LoggerFilterOptions>>(sp => sp.GetRequiredService<AgentkLogLevel>());

        // Kubernetes: built on first use, so agents without Kubernetes modules need no cluster.
        services.TryAddSingleton<KubernetesAccess>();
        services.TryAddSingleton<KubernetesVersionProbe>();
        services.TryAddSingleton(sp => sp.GetRequiredService<KubernetesAccess>().Configuration);
        services.TryAddSingleton<IKubernetes>(sp => new k8s.Kubernetes(sp.GetRequiredService<KubernetesClientConfiguration>()));

        // Order matters for start-up: the observability endpoint first, then modules (they subscribe), then the watcher.
        services.AddSingleton<ObservabilityServer>();
        services.AddHostedService(sp => sp.GetRequiredService<ObservabilityServer>());
        services.AddHostedService<AgentModuleRunner>();
        services.AddHostedService<ConfigurationWatcher>();
        services.AddHostedService<AgentRegistrarService>();
        return builder;
    }
}
