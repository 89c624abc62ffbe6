using Gitlab.Agent.TestUtilities;
using k8s;

namespace Gitlab.Agent.Testing.Tests.Infrastructure;

/// <summary>Waits on the in-process cluster's own state.</summary>
internal static class ClusterWaits
{
    /// <summary>Waits until the pod simulation reports pod <paramref name="ns"/>/<paramref name="name"/> Running.</summary>
    public static async Task WaitForRunningPodAsync(this KubernetesApiServer cluster, string name, string ns = "default")
    {
        using var client = cluster.CreateClient();
        await Eventually.TrueAsync(async () => (await client.CoreV1.ReadNamespacedPodAsync(name, ns)).Status?.Phase == "Running", $"pod {ns}/{name} is Running");
    }
}
