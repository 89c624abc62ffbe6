using Gitlab.Agent.Cilium.Policies;

namespace Gitlab.Agent.Cilium.Agent;

/// <summary>The CiliumNetworkPolicies of the cluster as seen by the agent.</summary>
internal interface ICiliumPolicyCache
{
    /// <summary>The current alert-enabled policies.</summary>
    CiliumPolicySnapshot Snapshot { get; }

    /// <summary>Keeps the cache up to date (list, then watch) until <paramref name="cancellationToken"/> is cancelled.</summary>
    Task RunAsync(CancellationToken cancellationToken);

    /// <summary>Completes once the first list has been applied.</summary>
    Task WaitForSyncAsync(CancellationToken cancellationToken);
}
