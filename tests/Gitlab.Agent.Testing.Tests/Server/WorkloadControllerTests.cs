using Gitlab.Agent.TestUtilities;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Gitlab.Agent.Testing.Tests.Infrastructure;

namespace Gitlab.Agent.Testing.Tests.Server;

/// <summary>Deployment → ReplicaSet → Pods, StatefulSet pods, scaling and cascading deletion.</summary>
public sealed class WorkloadControllerTests
{
    private static V1Deployment Deployment(int replicas, string image = "nginx:1.27") => new()
    {
        Metadata = new V1ObjectMeta { Name = "web" },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web" } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "nginx", Image = image }] },
            },
        },
    };

    private static async Task<IList<V1Pod>> RunningPodsAsync(IKubernetes client) =>
        (await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=web")).Items.Where(p => p.Status?.Phase == "Running" && p.Metadata.DeletionTimestamp is null).ToList();

    [Fact]
    public async Task Deployment_gets_a_replica_set_and_running_pods_that_follow_scale_and_deletion()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        var deployment = await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment(2), "default");
        await Eventually.TrueAsync(async () => (await RunningPodsAsync(client)).Count == 2, "two running pods");

        var rs = Assert.Single((await client.AppsV1.ListNamespacedReplicaSetAsync("default")).Items);
        Assert.Equal(deployment.Metadata.Uid, rs.Metadata.OwnerReferences.Single().Uid);
        Assert.StartsWith("web-", rs.Metadata.Name, StringComparison.Ordinal);
        var pods = await RunningPodsAsync(client);
        Assert.All(pods, p => Assert.Equal(rs.Metadata.Uid, p.Metadata.OwnerReferences.Single().Uid));
        Assert.All(pods, p => Assert.Equal(rs.Metadata.Labels["pod-template-hash"], p.Metadata.Labels["pod-template-hash"]));

        // A deleted pod is replaced.
        await client.CoreV1.DeleteNamespacedPodAsync(pods[0].Metadata.Name, "default");
        await Eventually.TrueAsync(async () => (await RunningPodsAsync(client)) is { Count: 2 } now && now.All(p => p.Metadata.Name != pods[0].Metadata.Name), "pod replaced");

        // Scaling goes through the ReplicaSet.
        var scaled = await client.AppsV1.ReadNamespacedDeploymentAsync("web", "default");
        scaled.Spec.Replicas = 3;
        await client.AppsV1.ReplaceNamespacedDeploymentAsync(scaled, "web", "default");
        await Eventually.TrueAsync(async () => (await RunningPodsAsync(client)).Count == 3, "three running pods");

        // A new template rolls to a new ReplicaSet; the old one goes to zero.
        var rolled = await client.AppsV1.ReadNamespacedDeploymentAsync("web", "default");
        rolled.Spec.Template.Spec.Containers[0].Image = "nginx:1.28";
        await client.AppsV1.ReplaceNamespacedDeploymentAsync(rolled, "web", "default");
        await Eventually.TrueAsync(async () =>
        {
            var all = await RunningPodsAsync(client);
            return all.Count == 3 && all.All(p => p.Spec.Containers[0].Image == "nginx:1.28");
        }, "pods of the new template");
        Assert.Equal(2, (await client.AppsV1.ListNamespacedReplicaSetAsync("default")).Items.Count);

        // Background deletion cascades to ReplicaSets and pods.
        await client.AppsV1.DeleteNamespacedDeploymentAsync("web", "default", propagationPolicy: "Background");
        await Eventually.TrueAsync(async () =>
            (await client.AppsV1.ListNamespacedReplicaSetAsync("default")).Items.Count == 0
            && (await client.CoreV1.ListNamespacedPodAsync("default")).Items.Count == 0, "dependents collected");
    }

    [Fact]
    public async Task Statefulset_pods_have_ordinal_names()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        await client.AppsV1.CreateNamespacedStatefulSetAsync(new V1StatefulSet
        {
            Metadata = new V1ObjectMeta { Name = "db" },
            Spec = new V1StatefulSetSpec
            {
                Replicas = 2,
                ServiceName = "db",
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "db" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "db" } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "pg", Image = "postgres:16" }] },
                },
            },
        }, "default");
        await Eventually.TrueAsync(async () =>
            (await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=db")).Items.Select(p => p.Metadata.Name).Order().SequenceEqual(["db-0", "db-1"]), "db-0 and db-1");
    }

    [Fact]
    public async Task Kubectl_logs_and_exec_resolve_a_deployment_to_its_pod()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment(1), "default");
        await Eventually.TrueAsync(async () => (await RunningPodsAsync(client)).Count == 1, "running pod");
        var pod = (await RunningPodsAsync(client))[0].Metadata.Name;
        cluster.SetPodLogs("default", pod, "hello from " + pod + "\n");
        cluster.ExecHandler = async (request, session, _) =>
        {
            await session.WriteOutputAsync(request.Pod + "\n");
            return 0;
        };
        using var kubectl = new KubectlRunner(cluster.KubeconfigPath);
        Assert.Equal($"hello from {pod}\n", (await kubectl.RunAsync("logs", "deploy/web")).ShouldSucceed().Stdout);
        Assert.Equal($"{pod}\n", (await kubectl.RunAsync("exec", "deploy/web", "--", "hostname")).ShouldSucceed().Stdout);
        var all = (await kubectl.RunAsync("get", "all")).ShouldSucceed().Stdout;
        Assert.Contains($"pod/{pod}", all, StringComparison.Ordinal);
        Assert.Contains("replicaset.apps/web-", all, StringComparison.Ordinal);
    }
}
