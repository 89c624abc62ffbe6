using Gitlab.Agent.Agentk;
using Gitlab.Agent.Agentk.Modules;
using Gitlab.Agent.GitOps.Agent;
using k8s;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the agentk half of GitOps.</summary>
public static class GitOpsAgentkBuilderExtensions
{
    /// <summary>
    /// Synchronizes every <c>gitops.manifest_projects[]</c> entry of the agent configuration into the cluster with
    /// server-side apply (field manager <c>agentk</c>), a cli-utils-compatible inventory, safe pruning, readiness waits
    /// and drift correction; reports results to KAS (module <c>gitops_sync_state</c>). Calling it twice is harmless.
    /// </summary>
    public static IAgentkBuilder AddGitOps(this IAgentkBuilder builder, Action<GitOpsAgentOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        var options = services.AddOptions<GitOpsAgentOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GitOpsAgentOptions>, GitOpsAgentOptionsValidator>());

        // Kubernetes access is resolved when the first manifest project starts, so agents without GitOps need no cluster.
        services.TryAddSingleton(sp => new KubernetesDynamicClient(sp.GetRequiredService<IKubernetes>()));
        services.TryAddSingleton<SyncEngine>();
        services.TryAddSingleton<ObjectClaims>();
        services.TryAddSingleton<SyncStateReporter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAgentModule, GitOpsAgentModule>());
        return builder;
    }
}
