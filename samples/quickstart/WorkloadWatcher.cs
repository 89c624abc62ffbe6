using k8s;
using k8s.Autorest;

namespace Quickstart;

/// <summary>Polls the cluster until the example's Deployment is rolled out, reporting each new state.</summary>
public static class WorkloadWatcher
{
    public static async Task<string> WaitReadyAsync(IKubernetes client, string ns, string name, Action<string> progress, CancellationToken cancellationToken)
    {
        string? last = null;
        while (true)
        {
            var (ready, state) = await ReadAsync(client, ns, name, cancellationToken);
            if (state != last)
            {
                progress(state);
                last = state;
            }

            if (ready)
            {
                return state;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    private static async Task<(bool Ready, string State)> ReadAsync(IKubernetes client, string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: cancellationToken);
            var want = deployment.Spec.Replicas ?? 1;
            var status = deployment.Status;
            var available = status?.AvailableReplicas ?? 0;
            var ready = status is not null && status.ObservedGeneration >= deployment.Metadata.Generation
                && status.UpdatedReplicas == want && available == want && (status.Replicas ?? 0) == want;
            return (ready, $"deployment {ns}/{name}: {available}/{want} available");
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return (false, $"waiting for agentk to apply deployment {ns}/{name}");
        }
    }
}
