using Gitlab.Agent.Cilium;
using Gitlab.Agent.Cilium.Server;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Modules;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the KAS half of Cilium alerts.</summary>
public static class CiliumKasBuilderExtensions
{
    /// <summary>
    /// Registers the <c>cilium_alert</c> request handler (validates, de-duplicates and stores alerts agents send through
    /// <c>GitlabAccess</c>), the SQLite <see cref="ICiliumAlertStore"/> (replaceable by registering another implementation
    /// first), the <c>GET /api/v4/agents/{agentId}/cilium/alerts</c> endpoint on the API listener, and the optional
    /// forward to GitLab (<see cref="CiliumServerOptions.GitlabAddress"/>).
    /// </summary>
    public static IKasBuilder AddCilium(this IKasBuilder builder, Action<CiliumServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<CiliumServerOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CiliumServerOptions>, CiliumServerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ICiliumAlertStore, SqliteCiliumAlertStore>();
        services.AddHttpClient<GitlabAlertForwarder>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAgentModuleRequestHandler, CiliumAlertRequestHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IKasModule, CiliumKasModule>());
        return builder;
    }
}
