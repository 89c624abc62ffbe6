using System.Text;
using System.Text.Json.Nodes;
using Gitlab.Agent.GitOps.Agent;
using Gitlab.Agent.Testing;
using Gitlab.Agent.TestUtilities;
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
        Kubernetes = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.KubeconfigPath), _phase);
        Client = new KubernetesDynamicClient(Kubernetes);
        Logs = new CapturedLogs();
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
        _options = options;
        Engine = EngineFor(1);
    }

    private readonly GitOpsAgentOptions _options;
    private readonly PhaseHandler _phase = new();
    private readonly Dictionary<long, SyncEngine> _engines = [];
    private readonly Dictionary<ProjectSyncState, SyncEngine> _stateEngines = [];

    /// <summary>Each agent has its own engine (and its own object claims), as in separate agentk processes.</summary>
    public SyncEngine EngineFor(long agentId)
    {
        if (!_engines.TryGetValue(agentId, out var engine))
        {
            engine = new SyncEngine(Client, agentId == 1 ? Claims : new ObjectClaims(), Options.Create(_options), TimeProvider.System, LoggerFactory.CreateLogger<SyncEngine>());
            _engines[agentId] = engine;
        }

        return engine;
    }

    public KubernetesApiServer Cluster { get; }

    public IKubernetes Kubernetes { get; }

    public KubernetesDynamicClient Client { get; }

    public SyncEngine Engine { get; }

    public ObjectClaims Claims { get; } = new();

    public CapturedLogs Logs { get; }

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
        var state = new ProjectSyncState(settings, new InventoryStore(Client, inventoryId, settings.DefaultNamespace));
        _stateEngines[state] = EngineFor(agentId);
        return state;
    }

    public Task<SyncOutcome> SyncAsync(ProjectSyncState state, string commit, params (string Path, string Content)[] files) =>
        _stateEngines[state].SyncAsync(state, new SyncBatch(commit, 42, [.. files.Select(f => (f.Path, Encoding.UTF8.GetBytes(f.Content)))]), CancellationToken.None);

    /// <summary>
    /// Starts a step of the test: every request the harness sends from now on carries the User-Agent
    /// <c>phase/&lt;name&gt;</c>, so <see cref="RequestsOf"/> counts exactly that step's requests. (The test API server
    /// records a request after its response went out, so a request of an earlier step can still be added to the log
    /// after a <c>Requests.Reset()</c>; filtering by step cannot be fooled by that.)
    /// </summary>
    public void BeginPhase(string name) => _phase.Phase = $"phase/{name}";

    /// <summary>The requests the API server recorded for the step started with <see cref="BeginPhase"/>.</summary>
    public List<RecordedRequest> RequestsOf(string name) =>
        [.. Cluster.Requests.Snapshot().Where(r => r.UserAgent == $"phase/{name}")];

    /// <summary>The write requests (anything but get, list and watch) of a step.</summary>
    public List<RecordedRequest> WritesOf(string name) =>
        [.. RequestsOf(name).Where(r => r.Verb is not ("get" or "list" or "watch"))];

    public async Task<JsonObject?> GetAsync(string apiVersion, string kind, string? ns, string name)
    {
        var resource = await Client.ResolveAsync(apiVersion, kind, CancellationToken.None) ?? throw new InvalidOperationException($"{apiVersion} {kind} is not served");
        return await Client.GetAsync(resource, ns, name, CancellationToken.None);
    }

    public async Task<JsonObject> ApplyAsAsync(string manager, string yaml)
    {
        var obj = Gitlab.Agent.GitOps.Agent.ManifestDecoder.Decode("x.yaml", Encoding.UTF8.GetBytes(yaml)).Objects.Single();
        var resource = await Client.ResolveAsync(obj.ApiVersion, obj.Kind, CancellationToken.None) ?? throw new InvalidOperationException("not served");
        var ns = resource.Namespaced ? (obj.Namespace.Length == 0 ? "default" : obj.Namespace) : null;
        if (ns is not null)
        {
            obj.Object["metadata"]!["namespace"] = ns;
        }

        return await Client.ApplyAsync(resource, obj.Object, ns, obj.Name, manager, dryRun: false, CancellationToken.None);
    }

    private sealed class PhaseHandler : DelegatingHandler
    {
        private volatile string _current = "phase/setup";

        public string Phase
        {
            get => _current;
            set => _current = value;
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.UserAgent.Clear();
            request.Headers.TryAddWithoutValidation("User-Agent", _current);
            return base.SendAsync(request, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        LoggerFactory.Dispose();
        Kubernetes.Dispose();
        await Cluster.DisposeAsync();
    }
}
