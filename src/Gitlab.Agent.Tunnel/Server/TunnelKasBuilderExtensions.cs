using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Tunnel.Server;
using Gitlab.Agent.Tunnel.Server.Access;
using Gitlab.Agent.Tunnel.Server.Proxy;
using Gitlab.Agent.Tunnel.Transport;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the KAS half of the tunnel.</summary>
public static class TunnelKasBuilderExtensions
{
    /// <summary>
    /// Adds the reverse tunnel server (<c>ReverseTunnel/Connect</c> on the agent listener), the Kubernetes API proxy
    /// (CI/CD tunnel and user access) on the <c>agent.kubernetes_api</c> listener, CI job and personal access token
    /// services, and kubeconfig generation. Every service is registered with <c>TryAdd</c> so it can be replaced
    /// (for example <see cref="ICiJobTokenService"/> by a GitLab-backed one). Idempotent.
    /// </summary>
    public static IKasBuilder AddTunnel(this IKasBuilder builder, Action<TunnelServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.AddTunnelServerCore();
        services.AddWebSocketTunnelTransport();
        services.TryAddSingleton(new WebSocketTunnelEndPoint("agent"));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>, WebSocketAgentListenerSetup>());
        services.AddHttpForwarder();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TunnelServerOptions>, TunnelServerOptionsValidator>());
        services.AddOptions<TunnelServerOptions>().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new SqliteProxyTokenStore(sp.GetRequiredService<IOptions<TunnelServerOptions>>().Value.TokenDatabasePath, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ICiJobTokenService>(sp => sp.GetRequiredService<SqliteProxyTokenStore>());
        services.TryAddSingleton<IPersonalAccessTokenService>(sp => sp.GetRequiredService<SqliteProxyTokenStore>());
        services.TryAddSingleton<IAgentConfigurationStore, RepositoryAgentConfigurationStore>();
        services.TryAddSingleton<ProxyAuthorizer>();
        services.TryAddSingleton<KubernetesApiProxy>();
        services.TryAddSingleton<ProxyPathPrefix>(sp => new ProxyPathPrefix(sp.GetRequiredService<IOptions<TunnelServerOptions>>(), sp.GetService<IOptions<KasOptions>>()));
        services.TryAddSingleton(sp =>
        {
            var prefix = sp.GetRequiredService<ProxyPathPrefix>().Value;
            return new KubeconfigService(
                sp.GetRequiredService<ICiJobTokenService>(),
                sp.GetRequiredService<IPersonalAccessTokenService>(),
                sp.GetRequiredService<IAgentConfigurationStore>(),
                sp.GetRequiredService<IOptions<TunnelServerOptions>>(),
                () => sp.GetService<IKasAddresses>()?.KubernetesApi is { } listener ? new Uri(listener.ToString().TrimEnd('/') + (prefix == "/" ? string.Empty : prefix.Value)) : null);
        });
        services.TryAddSingleton<TunnelKasModule>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IKasModule, TunnelKasModule>(sp => sp.GetRequiredService<TunnelKasModule>()));
        return builder;
    }
}

internal sealed class TunnelServerOptionsValidator : IValidateOptions<TunnelServerOptions>
{
    public ValidateOptionsResult Validate(string? name, TunnelServerOptions options)
    {
        var errors = new List<string>();
        if (options.FindTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(TunnelServerOptions)}.{nameof(options.FindTimeout)} must be positive (got {options.FindTimeout}).");
        }

        if (string.IsNullOrWhiteSpace(options.TokenDatabasePath))
        {
            errors.Add($"{nameof(TunnelServerOptions)}.{nameof(options.TokenDatabasePath)} must be a file path or ':memory:'.");
        }

        if (options.ActivityTimeout != Timeout.InfiniteTimeSpan && options.ActivityTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(TunnelServerOptions)}.{nameof(options.ActivityTimeout)} must be positive or Timeout.InfiniteTimeSpan (got {options.ActivityTimeout}).");
        }

        if (options.ExternalUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
        {
            errors.Add($"{nameof(TunnelServerOptions)}.{nameof(options.ExternalUrl)} must be an absolute http(s) URL (got '{url}').");
        }

        if (options.CertificateAuthorityFile is { Length: > 0 } ca && !File.Exists(ca))
        {
            errors.Add($"{nameof(TunnelServerOptions)}.{nameof(options.CertificateAuthorityFile)}: file '{ca}' does not exist.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
