using Gitlab.Agent.Agentk;
using Gitlab.Agent.Agentk.Modules;
using Gitlab.Agent.Cilium;
using Gitlab.Agent.Cilium.Agent;
using Gitlab.Agent.Cilium.Alerts;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the agent half of Cilium alerts to agentk.</summary>
public static class CiliumAgentkBuilderExtensions
{
    /// <summary>
    /// Registers the <c>cilium_alert</c> agent module. When the agent configuration has
    /// <c>cilium.hubble_relay_address</c>, the module follows Hubble Relay and reports flows dropped by
    /// CiliumNetworkPolicies annotated <c>app.gitlab.com/alert: "true"</c> to KAS. Needs <c>list</c>/<c>watch</c> on
    /// <c>ciliumnetworkpolicies.cilium.io</c>.
    /// </summary>
    public static IAgentkBuilder AddCilium(this IAgentkBuilder builder, Action<CiliumAgentOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<CiliumAgentOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CiliumAgentOptions>, CiliumAgentOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CiliumAlertStats>();
        services.TryAddSingleton<AlertLossCounter>();
        services.TryAddSingleton<ICiliumPolicyCache>(sp => new KubernetesCiliumPolicyCache(
            () => sp.GetRequiredService<k8s.IKubernetes>(),
            sp.GetRequiredService<IOptions<CiliumAgentOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<KubernetesCiliumPolicyCache>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAgentModule, CiliumAlertModule>());
        return builder;
    }
}
