using Gitlab.Agent.GitOps.Server;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Modules;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the KAS half of GitOps.</summary>
public static class GitOpsKasBuilderExtensions
{
    /// <summary>
    /// Serves <c>Gitops/GetObjectsToSynchronize</c> to agents, accepts their sync reports (module
    /// <c>gitops_sync_state</c>) and exposes them through <see cref="IGitOpsSyncStateStore"/> and
    /// <c>GET /api/v4/agents/{agentId}/gitops/sync-state</c>. Calling it twice is harmless.
    /// </summary>
    public static IKasBuilder AddGitOps(this IKasBuilder builder, Action<GitOpsServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddGrpc();
        services.TryAddSingleton(TimeProvider.System);
        var options = services.AddOptions<GitOpsServerOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<GitOpsServerOptions>, GitOpsServerOptionsSetup>());
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GitOpsServerOptions>, GitOpsServerOptionsValidator>());
        services.TryAddSingleton<ManifestProjectAuthorizer>();
        services.TryAddSingleton<ObjectsToSynchronizeHandler>();
        services.TryAddSingleton<IGitOpsSyncStateStore, InMemoryGitOpsSyncStateStore>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IKasModule, GitOpsKasModule>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAgentModuleRequestHandler, SyncStateRequestHandler>());
        return builder;
    }
}
