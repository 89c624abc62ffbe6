using Gitlab.Agent.Testing;
using k8s;
using Microsoft.Extensions.Logging;

namespace Quickstart;

/// <summary>The cluster agentk manages: the in-process test cluster (state persisted in the state directory) or a real one.</summary>
public sealed class ClusterHost : IAsyncDisposable
{
    private readonly KubernetesApiServer? _server;

    private ClusterHost(KubernetesApiServer? server, string kubeconfigPath, IKubernetes client, string description)
    {
        _server = server;
        KubeconfigPath = kubeconfigPath;
        Client = client;
        Description = description;
    }

    public string KubeconfigPath { get; }

    public IKubernetes Client { get; }

    public string Description { get; }

    public bool IsInProcess => _server is not null;

    public static async Task<ClusterHost> StartAsync(QuickstartOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (options.Kubeconfig is { } kubeconfig)
        {
            var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
            return new ClusterHost(null, kubeconfig, new Kubernetes(config), $"{config.Host} (from {kubeconfig})");
        }

        var directory = Path.Combine(options.StateDirectory, "cluster");
        Directory.CreateDirectory(directory);
        var server = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions
        {
            KubeconfigPath = Path.Combine(directory, "kubeconfig"),
            PersistencePath = Path.Combine(directory, "objects.json"),
            LoggerFactory = loggerFactory,
        }, cancellationToken);
        return new ClusterHost(server, server.KubeconfigPath, server.CreateClient(), $"{server.BaseAddress} (in-process test cluster)");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
