using Gitlab.Agent.Cilium.Agent;
using Gitlab.Agent.Cilium.Policies;

namespace Gitlab.Agent.Cilium.Tests.Infrastructure;

/// <summary>An in-memory policy cache: the snapshot is whatever the test sets.</summary>
internal sealed class StaticPolicyCache(params CiliumPolicy[] policies) : ICiliumPolicyCache
{
    private int _runs;

    public CiliumPolicySnapshot Snapshot { get; set; } = new(policies);

    public int Runs => Volatile.Read(ref _runs);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _runs);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
