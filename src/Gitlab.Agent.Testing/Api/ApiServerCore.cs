using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Auth;
using Gitlab.Agent.Testing.Controllers;
using Gitlab.Agent.Testing.Registry;
using Gitlab.Agent.Testing.Storage;

namespace Gitlab.Agent.Testing.Api;

/// <summary>Everything one emulated API server holds; shared by the HTTP handler, controllers and the public facade.</summary>
internal sealed class ApiServerCore
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _rbacSync = new();
    private RbacEvaluator? _rbacCache;
    private long _rbacRevision = -1;

    public ApiServerCore(KubernetesApiServerOptions options)
    {
        Options = options;
        Time = options.TimeProvider ?? TimeProvider.System;
        Registry = new ResourceRegistry();
        Store = new ObjectStore(options.WatchHistorySize);
        Writer = new ObjectWriter(Store, Registry, Time);
        Discovery = new DiscoveryDocuments(Registry);
        OpenApi = new OpenApiDocuments(Registry);
        Tables = new TablePrinter(Time);
        Auth = new AuthService(options.EnableRbac, Rbac);
        Reviews = new ReviewHandler(Auth, Rbac);
        PodIo = new PodIoHandler(this);
        Scale = new ScaleHandler(this);
        Namespaces = new NamespaceLifecycle(this);
        Crds = new CrdRegistrar(Registry);
        Store.Committed += Crds.OnCommitted;
        Store.Committed += OnCommitted;
    }

    public KubernetesApiServerOptions Options { get; }

    public Microsoft.Extensions.Logging.ILogger Logger { get; set; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public TimeProvider Time { get; }

    public ResourceRegistry Registry { get; }

    public ObjectStore Store { get; }

    public ObjectWriter Writer { get; }

    public DiscoveryDocuments Discovery { get; }

    public OpenApiDocuments OpenApi { get; }

    public TablePrinter Tables { get; }

    public AuthService Auth { get; }

    public ReviewHandler Reviews { get; }

    public PodIoHandler PodIo { get; }

    public ScaleHandler Scale { get; }

    public NamespaceLifecycle Namespaces { get; }

    public CrdRegistrar Crds { get; }

    public KubernetesRequestLog RequestLog { get; } = new();

    /// <summary>PEM of the cluster CA (published in each namespace's kube-root-ca.crt ConfigMap).</summary>
    public string CaPem { get; set; } = string.Empty;

    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Bumped on every commit to an RBAC kind; the evaluator snapshot is rebuilt lazily.</summary>
    private long _rbacChanges;

    /// <summary>Raised after every commit (under the store lock): persistence marks itself dirty.</summary>
    public event Action? Changed;

    private void OnCommitted(WatchEvent evt)
    {
        if (evt.Object.Type.Group == "rbac.authorization.k8s.io")
        {
            Interlocked.Increment(ref _rbacChanges);
        }

        Changed?.Invoke();
    }

    public void SignalStopping()
    {
        _stopping.Cancel();
        Store.CloseAllWatches();
    }

    private RbacEvaluator? Rbac()
    {
        lock (_rbacSync)
        {
            var revision = Interlocked.Read(ref _rbacChanges);
            if (_rbacCache is not null && revision == _rbacRevision)
            {
                return _rbacCache;
            }

            List<JsonObject> Load(string plural) =>
                Store.List("rbac.authorization.k8s.io/" + plural, null).Items.Select(o => o.Clone()).ToList();
            _rbacCache = new RbacEvaluator(Load("roles"), Load("clusterroles"), Load("rolebindings"), Load("clusterrolebindings"));
            _rbacRevision = revision;
            return _rbacCache;
        }
    }
}
