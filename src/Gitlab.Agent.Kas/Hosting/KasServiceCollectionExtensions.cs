using Gitlab.Agent.Config;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Authentication;
using Gitlab.Agent.Kas.Diagnostics;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Kas.Services;
using Gitlab.Agent.Kas.Repositories;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the KAS runtime.</summary>
public static class KasServiceCollectionExtensions
{
    /// <summary>
    /// Adds the KAS runtime: Kestrel listeners from the configuration, agent authentication, the SQLite agent registry,
    /// the repository source and poller, and the built-in modules (agent configuration, registrar, GitLab access,
    /// agent tracker, push notifications, health and metrics). Calling it again only applies <paramref name="configure"/>
    /// and returns the same builder. Every service is registered with <c>TryAdd</c> so it can be replaced.
    /// </summary>
    public static IKasBuilder AddKas(this IServiceCollection services, Action<KasOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (services.FirstOrDefault(d => d.ServiceType == typeof(KasBuilder))?.ImplementationInstance is KasBuilder existing)
        {
            return existing;
        }

        var builder = new KasBuilder(services);
        services.AddSingleton(builder);
        // Defaults are applied after every Configure (idempotent), so hosts may set only what differs.
        services.AddOptions<KasOptions>().PostConfigure(o => KasConfigurationFile.ApplyDefaults(o.Configuration)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KasOptions>, KasOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<KasRuntimeSettings>();

        // Listeners
        services.TryAddSingleton<KasAddresses>();
        services.TryAddSingleton<IKasAddresses>(sp => sp.GetRequiredService<KasAddresses>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<KestrelServerOptions>, KasKestrelSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, KasListenerMatcherPolicy>());

        // Registry
        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<KasRuntimeSettings>();
            return new SqliteAgentRegistry(
                new SqliteAgentRegistryOptions(settings.RegistryPath) { ConnectionTtl = settings.ConnectionTtl + TimeSpan.FromMinutes(1) },
                sp.GetRequiredService<TimeProvider>());
        });
        services.TryAddSingleton<IAgentRegistry>(sp => sp.GetRequiredService<SqliteAgentRegistry>());
        services.TryAddSingleton<IAgentAuthenticator>(sp => sp.GetRequiredService<SqliteAgentRegistry>());
        services.TryAddSingleton<IProjectInfoProvider, KasProjectInfoProvider>();

        // Repositories
        services.TryAddSingleton<ProjectChangeNotifier>();
        services.TryAddSingleton<IProjectChangeNotifier>(sp => sp.GetRequiredService<ProjectChangeNotifier>());
        services.TryAddSingleton<BareRepositorySource>(sp =>
        {
            var settings = sp.GetRequiredService<KasRuntimeSettings>();
            var time = sp.GetRequiredService<TimeProvider>();
            return settings.UrlTemplate is { } template
                ? new RemoteRepositorySource(
                    new RemoteRepositoryOptions(template, settings.CacheDirectory) { Username = settings.RepositoryUsername, PasswordFile = settings.RepositoryPasswordFile },
                    time, sp.GetRequiredService<ILogger<RemoteRepositorySource>>())
                : new DirectoryRepositorySource(settings.RepositoriesDirectory, time);
        });
        services.TryAddSingleton<IRepositorySource>(sp => sp.GetRequiredService<BareRepositorySource>());
        services.TryAddSingleton<IRepositoryRefresher>(sp => sp.GetRequiredService<BareRepositorySource>());

        // Hosted services: the startup service runs first (registry schema) before Kestrel binds.
        services.AddHostedService<KasStartupService>();
        services.AddHostedService<RepositoryPoller>();

        // gRPC and agent authentication
        services.AddGrpc();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<GrpcServiceOptions>, KasGrpcSetup>());
        services.TryAddSingleton<TokenRateLimiter>();
        services.TryAddSingleton<AgentAuthInterceptor>();
        services.AddHttpClient(GitlabAccessService.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });

        // Observability
        services.AddMetrics();
        services.TryAddSingleton<KasMetrics>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(KasMetrics.MeterName).AddPrometheusExporter());

        // Built-in modules
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IKasModule, AgentConfigurationModule>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IKasModule, GitlabAccessModule>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IKasModule, AgentTrackerModule>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IKasModule, PushNotificationModule>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IKasModule, ObservabilityModule>());
        return builder;
    }
}
