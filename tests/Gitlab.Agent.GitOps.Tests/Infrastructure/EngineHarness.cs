using System.Text;
using System.Text.Json.Nodes;
using Gitlab.Agent.GitOps.Agent;
using Gitlab.Agent.Testing;
using k8s;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.GitOps.Tests.Infrastructure;

/// <summary>A test Kubernetes API server plus the GitOps sync engine pointed at it.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private EngineHarness(KubernetesApiServer cluster, GitOpsAgentOptions options)
    {
        Cluster = cluster;
        Kubernetes = cluster.CreateClient();
        Client = new KubernetesDynamicClient(Kubernetes);
        Logs = new ListLoggerProvider();
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
        Engine = new SyncEngine(Client, Claims, Options.Create(options), TimeProvider.System, LoggerFactory.CreateLogger<SyncEngine>());
    }

    public KubernetesApiServer Cluster { get; }

    public IKubernetes Kubernetes { get; }

    public KubernetesDynamicClient Client { get; }

    public SyncEngine Engine { get; }

    public ObjectClaims Claims { get; } = new();

    public ListLoggerProvider Logs { get; }

    public ILoggerFactory LoggerFactory { get; }

    public static async Task<EngineHarness> StartAsync(Action<GitOpsAgentOptions>? configure = null)
    {
        var options = new GitOpsAgentOptions { EstablishTimeout = TimeSpan.FromSeconds(30), ReadinessPollInterval = TimeSpan.FromMilliseconds(200) };
        configure?.Invoke(options);
        return new EngineHarness(await KubernetesApiServer.StartAsync(), options);
    }

    public ProjectSyncState NewState(string project, Func<ManifestProjectSettings, ManifestProjectSettings>? tweak = null, long agentId = 1)
    {
        var settings = new ManifestProjectSettings { ProjectPath = project };
        settings = tweak?.Invoke(settings) ?? settings;
        var inventoryId = $"{agentId}-{ManifestProjectSettings.ProjectHash(project)}";
        return new ProjectSyncState(settings, new InventoryStore(Client, inventoryId, settings.DefaultNamespace));
    }

    public Task<SyncOutcome> SyncAsync(ProjectSyncState state, string commit, params (string Path, string Content)[] files) =>
        Engine.SyncAsync(state, new SyncBatch(commit, 42, [.. files.Select(f => (f.Path, Encoding.UTF8.GetBytes(f.Content)))]), CancellationToken.None);

    public async Task<JsonObject?> GetAsync(string apiVersion, string kind, string? ns, string name)
    {
        var resource = await Client.ResolveAsync(apiVersion, kind, CancellationToken.None) ?? throw new InvalidOperationException($"{apiVersion} {kind} is not served");
        return await Client.GetAsync(resource, ns, name, CancellationToken.None);
    }

    public async Task<JsonObject> ApplyAsAsync(string manager, string yaml)
    {
        var obj = Gitlab.Agent.GitOps.Agent.ManifestDecoder.Decode("x.yaml", Encoding.UTF8.GetBytes(yaml)).Objects.Single();
        var resource = await Client.ResolveAsync(obj.ApiVersion, obj.Kind, CancellationToken.None) ?? throw new InvalidOperationException("not served");
        return await Client.ApplyAsync(resource, obj.Object, obj.Namespace, obj.Name, manager, dryRun: false, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        LoggerFactory.Dispose();
        Kubernetes.Dispose();
        await Cluster.DisposeAsync();
    }
}
