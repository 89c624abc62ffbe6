using Gitlab.Agent.Config;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.Tunnel.Server;
using Gitlab.Agent.Tunnel.Server.Access;
using Gitlab.Agent.Tunnel.Server.Proxy;
using Gitlab.Agent.Tunnel.Transport;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the KAS half of the tunnel.</summary>
public static class TunnelKasBuilderExtensions
{
    /// <summary>
    /// Adds the reverse tunnel server (<c>ReverseTunnel/Connect</c> on the agent listener), the Kubernetes API proxy
    /// (CI/CD tunnel and user access) on the <c>agent.kubernetes_api</c> listener (without that listener the proxy is
    /// off and KAS logs so), kubeconfig generation, CI job tokens (<see cref="ICiJobTokenService"/>, SQLite, by default in
    /// the registry database) and personal access tokens
    /// (<see cref="IPersonalAccessTokenService"/> over KAS's user store, which this call registers with
    /// <c>AddUserStore()</c> when missing). Every service is registered with <c>TryAdd</c> so it can be replaced (for
    /// example either token service by a GitLab-backed one). Idempotent.
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
        services.TryAddSingleton(sp => new SqliteCiJobTokenStore(
            sp.GetRequiredService<IOptions<TunnelServerOptions>>().Value.TokenDatabasePath ?? RegistryDatabasePath(sp.GetRequiredService<IOptions<KasOptions>>().Value),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ICiJobTokenService>(sp => sp.GetRequiredService<SqliteCiJobTokenStore>());

        // Users and their personal access tokens are KAS's user store (shared with the management API and UI).
        builder.AddUserStore();
        services.TryAddSingleton<IPersonalAccessTokenService, UserStorePersonalAccessTokens>();
        services.TryAddSingleton<IAgentConfigurationStore, RepositoryAgentConfigurationStore>();
        services.TryAddSingleton(sp =>
        {
            var cache = ProxyAuthorizationCache.Create(
                sp.GetRequiredService<IOptions<TunnelServerOptions>>().Value, sp.GetService<IOptions<KasOptions>>()?.Value, sp.GetRequiredService<TimeProvider>());
            if (sp.GetRequiredService<ICiJobTokenService>() is SqliteCiJobTokenStore jobTokenStore)
            {
                jobTokenStore.Revoked += cache.InvalidateToken;
            }

            if (sp.GetService<UserStoreChanges>() is { } userStoreChanges)
            {
                userStoreChanges.Changed += (_, _) => cache.InvalidatePersonalAccessTokens();
            }

            return cache;
        });
        services.TryAddSingleton<ProxyAuthorizer>();
        services.TryAddSingleton<CiJobTokenEndpoints>();
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
                () => sp.GetService<IKasAddresses>()?.KubernetesApi is { } listener ? new Uri(listener.ToString().TrimEnd('/') + (prefix == "/" ? string.Empty : prefix.Value)) : null,
                () => SelfSignedCertificatePem(sp.GetService<IOptions<KasOptions>>()?.Value.Configuration.Agent?.KubernetesApi?.Listen?.CertificateFile));
        });
        services.TryAddSingleton<TunnelKasModule>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IKasModule, TunnelKasModule>(sp => sp.GetRequiredService<TunnelKasModule>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ProxyAvailabilityLog>());
        return builder;
    }

    /// <summary>
    /// The proxy listener's certificate when it is self-signed (it is then its own CA and generated kubeconfigs must
    /// carry it); <see langword="null"/> for a certificate issued by a CA, which clients already trust or get through
    /// <see cref="TunnelServerOptions.CertificateAuthorityFile"/>.
    /// </summary>
    internal static string? SelfSignedCertificatePem(string? certificateFile)
    {
        if (string.IsNullOrEmpty(certificateFile) || !File.Exists(certificateFile))
        {
            return null;
        }

        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(certificateFile));
        return certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData) ? certificate.ExportCertificatePem() : null;
    }

    /// <summary><c>registry.sqlite.path</c>, with the documented default when the configuration has none.</summary>
    private static string RegistryDatabasePath(KasOptions kas)
    {
        if (kas.Configuration.Registry?.Sqlite?.Path is { Length: > 0 } path)
        {
            return path;
        }

        var withDefaults = kas.Configuration.Clone();
        KasConfigurationFile.ApplyDefaults(withDefaults);
        return withDefaults.Registry.Sqlite.Path;
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

        if (options.TokenDatabasePath is { } tokenDatabase && string.IsNullOrWhiteSpace(tokenDatabase))
        {
            errors.Add($"{nameof(TunnelServerOptions)}.{nameof(options.TokenDatabasePath)} must be a file path, ':memory:' or null (the registry database).");
        }

        if (options.ActivityTimeout != Timeout.InfiniteTimeSpan && options.ActivityTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(TunnelServerOptions)}.{nameof(options.ActivityTimeout)} must be positive or Timeout.InfiniteTimeSpan (got {options.ActivityTimeout}).");
        }

        if (options.AllowedAgentCacheTtl is { } ttl && ttl < TimeSpan.Zero)
        {
            errors.Add($"{nameof(TunnelServerOptions)}.{nameof(options.AllowedAgentCacheTtl)} must be zero (no caching) or positive (got {ttl}).");
        }

        if (options.AllowedAgentCacheErrorTtl is { } errorTtl && errorTtl < TimeSpan.Zero)
        {
            errors.Add($"{nameof(TunnelServerOptions)}.{nameof(options.AllowedAgentCacheErrorTtl)} must be zero (no caching) or positive (got {errorTtl}).");
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
