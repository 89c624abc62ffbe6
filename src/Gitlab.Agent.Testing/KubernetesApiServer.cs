using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Api;
using Gitlab.Agent.Testing.Controllers;
using Gitlab.Agent.Testing.Server;
using Gitlab.Agent.Testing.Storage;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Testing;

/// <summary>
/// An in-process Kubernetes API server (reports v1.32) on a loopback port, good enough for the real kubectl and
/// KubernetesClient: discovery, OpenAPI v3, CRUD, the four patch types incl. server-side apply, list/watch, tables,
/// CRDs, RBAC, impersonation, deletion lifecycle and small built-in controllers.
/// </summary>
/// <example>
/// <code>
/// await using var cluster = await KubernetesApiServer.StartAsync();
/// var client = cluster.CreateClient();
/// // or: kubectl --kubeconfig cluster.KubeconfigPath get pods -A
/// </code>
/// </example>
public sealed class KubernetesApiServer : IAsyncDisposable
{
    private readonly ApiServerCore _core;
    private readonly WebApplication _app;
    private readonly CertificateAuthority _ca;
    private readonly BuiltinControllers? _controllers;
    private readonly StatePersistence? _persistence;
    private readonly string? _tempDir;
    private int _stopped;

    private KubernetesApiServer(ApiServerCore core, WebApplication app, CertificateAuthority ca, BuiltinControllers? controllers,
        StatePersistence? persistence, Uri baseAddress, Uri? httpAddress, string kubeconfigPath, string adminToken, string? tempDir)
    {
        _core = core;
        _app = app;
        _ca = ca;
        _controllers = controllers;
        _persistence = persistence;
        BaseAddress = baseAddress;
        HttpAddress = httpAddress;
        KubeconfigPath = kubeconfigPath;
        AdminToken = adminToken;
        _tempDir = tempDir;
    }

    /// <summary>The https address (https://127.0.0.1:port/).</summary>
    public Uri BaseAddress { get; }

    /// <summary>The plain http address when <see cref="KubernetesApiServerOptions.EnableHttp"/> is set, else null.</summary>
    public Uri? HttpAddress { get; }

    /// <summary>A kubeconfig for the admin user (token auth, certificate-authority-data), context <c>test-cluster</c>, namespace default.</summary>
    public string KubeconfigPath { get; }

    /// <summary>Bearer token of the admin user (group <c>system:masters</c>).</summary>
    public string AdminToken { get; }

    /// <summary>The CA that signed the server certificate.</summary>
    public X509Certificate2 CaCertificate => _ca.CaCertificate;

    /// <summary>The CA certificate in PEM form.</summary>
    public string CaCertificatePem => _ca.CaPem;

    /// <summary>Every request answered, with write counters.</summary>
    public KubernetesRequestLog Requests => _core.RequestLog;

    /// <summary>Handles <c>pods/exec</c>: return the exit code. Null answers every exec with a Failure status.</summary>
    public Func<ExecRequest, ExecSession, CancellationToken, Task<int>>? ExecHandler
    {
        get => _core.PodIo.ExecHandler;
        set => _core.PodIo.ExecHandler = value;
    }

    /// <summary>
    /// Handles <c>pods/attach</c> (the request's <see cref="ExecRequest.Command"/> is empty): write what the running container
    /// prints, read its stdin. Like a kubelet, the session ends with Success whatever the returned code; a thrown exception
    /// ends it with an InternalError status. Null answers every attach with a Failure status.
    /// </summary>
    public Func<ExecRequest, ExecSession, CancellationToken, Task<int>>? AttachHandler
    {
        get => _core.PodIo.AttachHandler;
        set => _core.PodIo.AttachHandler = value;
    }

    /// <summary>Starts a server and writes its kubeconfig.</summary>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop.</returns>
    public static async Task<KubernetesApiServer> StartAsync(KubernetesApiServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new KubernetesApiServerOptions();
        var validation = new KubernetesApiServerOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(KubernetesApiServerOptions), typeof(KubernetesApiServerOptions), validation.Failures);
        }

        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var core = new ApiServerCore(options) { Logger = loggerFactory.CreateLogger("Gitlab.Agent.Testing.KubernetesApiServer") };
        var ca = CertificateAuthority.Create();
        core.CaPem = ca.CaPem;
        var adminToken = options.AdminToken ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        core.Auth.AddUser(adminToken, options.AdminUserName, ["system:masters"], admin: true);

        StatePersistence? persistence = null;
        var loaded = false;
        if (options.PersistencePath is not null)
        {
            persistence = new StatePersistence(core, options.PersistencePath, loggerFactory.CreateLogger<KubernetesApiServer>());
            loaded = persistence.Load();
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 16 * 1024 * 1024;
            k.Listen(IPAddress.Loopback, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(ca.ServerCertificate);
            });
            if (options.EnableHttp)
            {
                k.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1);
            }
        });
        var app = builder.Build();
        app.UseWebSockets();
        var handler = new ApiHandler(core);
        app.Run(handler.HandleAsync);
        await app.StartAsync(cancellationToken);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var https = new Uri(addresses.First(a => a.StartsWith("https://", StringComparison.Ordinal)).Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");
        Uri? http = null;
        if (options.EnableHttp)
        {
            http = new Uri(addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal)) + "/");
            core.Auth.InsecurePort = http.Port;
        }

        string? tempDir = null;
        var kubeconfigPath = options.KubeconfigPath;
        if (kubeconfigPath is null)
        {
            tempDir = Directory.CreateTempSubdirectory("kube-api-").FullName;
            kubeconfigPath = Path.Combine(tempDir, "kubeconfig");
        }

        KubeconfigWriter.Write(kubeconfigPath, KubeconfigWriter.Render(https, ca.CaPem, options.AdminUserName, adminToken));

        BuiltinControllers? controllers = null;
        if (options.RunControllers)
        {
            controllers = new BuiltinControllers(core, loggerFactory.CreateLogger<BuiltinControllers>());
            controllers.Start();
        }

        if (!loaded)
        {
            Seed(core);
            foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
            {
                controllers?.PopulateNamespace(ns);
            }
        }

        persistence?.Start();
        return new KubernetesApiServer(core, app, ca, controllers, persistence, https, http, kubeconfigPath, adminToken, tempDir);
    }

    private static void Seed(ApiServerCore core)
    {
        var ctx = WriteContext.ForController("kube-apiserver");
        var nsType = core.Registry.FindByStorageKey("/namespaces")!;
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            core.Writer.Create(nsType, string.Empty, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } }, ctx);
        }

        var (clusterRoles, clusterRoleBindings) = Auth.RbacEvaluator.BootstrapPolicy();
        var crType = core.Registry.FindByStorageKey("rbac.authorization.k8s.io/clusterroles")!;
        var crbType = core.Registry.FindByStorageKey("rbac.authorization.k8s.io/clusterrolebindings")!;
        foreach (var role in clusterRoles)
        {
            core.Writer.Create(crType, string.Empty, (JsonObject)role.DeepClone(), ctx);
        }

        foreach (var binding in clusterRoleBindings)
        {
            core.Writer.Create(crbType, string.Empty, (JsonObject)binding.DeepClone(), ctx);
        }

        var nodeType = core.Registry.FindByStorageKey("/nodes")!;
        var now = core.Writer.Now();
        core.Writer.Create(nodeType, string.Empty, new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = core.Options.NodeName,
                ["labels"] = new JsonObject
                {
                    ["kubernetes.io/hostname"] = core.Options.NodeName,
                    ["kubernetes.io/os"] = "linux",
                    ["kubernetes.io/arch"] = "amd64",
                },
            },
            ["spec"] = new JsonObject { ["podCIDR"] = "10.244.0.0/24" },
        }, ctx);
        core.Writer.Mutate(nodeType, string.Empty, core.Options.NodeName, "status", WriteContext.ForController("kubelet"), obj =>
        {
            obj["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "Ready", ["status"] = "True", ["lastHeartbeatTime"] = now, ["lastTransitionTime"] = now,
                    ["reason"] = "KubeletReady", ["message"] = "kubelet is posting ready status",
                }),
                ["addresses"] = new JsonArray(
                    new JsonObject { ["type"] = "InternalIP", ["address"] = core.Options.NodeIp },
                    new JsonObject { ["type"] = "Hostname", ["address"] = core.Options.NodeName }),
                ["nodeInfo"] = new JsonObject
                {
                    ["kubeletVersion"] = "v1.32.4", ["kubeProxyVersion"] = "v1.32.4", ["operatingSystem"] = "linux", ["architecture"] = "amd64",
                    ["containerRuntimeVersion"] = "containerd://1.7.24", ["osImage"] = "Debian GNU/Linux 12 (bookworm)", ["kernelVersion"] = "6.1.0",
                    ["machineID"] = string.Empty, ["systemUUID"] = string.Empty, ["bootID"] = string.Empty,
                },
                ["capacity"] = new JsonObject { ["cpu"] = "2", ["memory"] = "8Gi", ["pods"] = "110" },
                ["allocatable"] = new JsonObject { ["cpu"] = "2", ["memory"] = "8Gi", ["pods"] = "110" },
            };
            return true;
        });
    }

    /// <summary>A KubernetesClient for the admin user (or for <paramref name="token"/>), trusting the server's CA.</summary>
    /// <param name="token">Bearer token to use instead of the admin token.</param>
    /// <returns>A client; dispose it when done.</returns>
    public IKubernetes CreateClient(string? token = null)
    {
        var config = new KubernetesClientConfiguration
        {
            Host = BaseAddress.GetLeftPart(UriPartial.Authority),
            AccessToken = token ?? AdminToken,
            SslCaCerts = [X509CertificateLoader.LoadCertificate(_ca.CaCertificate.RawData)],
        };
        return new Kubernetes(config);
    }

    /// <summary>Registers a bearer token for a user and groups (<c>system:authenticated</c> is added).</summary>
    /// <param name="token">The bearer token.</param>
    /// <param name="name">User name, e.g. <c>alice</c> or <c>system:serviceaccount:ns:sa</c>.</param>
    /// <param name="groups">Groups of the user.</param>
    public void AddUser(string token, string name, params string[] groups)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentException.ThrowIfNullOrEmpty(name);
        _core.Auth.AddUser(token, name, groups);
    }

    /// <summary>Writes a kubeconfig for another token (see <see cref="AddUser"/>) to <paramref name="path"/>.</summary>
    /// <param name="path">File to write.</param>
    /// <param name="token">Bearer token.</param>
    /// <param name="userName">Name of the user entry in the file.</param>
    /// <returns>The path written.</returns>
    public string WriteKubeconfig(string path, string token, string userName = "user")
    {
        KubeconfigWriter.Write(path, KubeconfigWriter.Render(BaseAddress, _ca.CaPem, userName, token));
        return path;
    }

    /// <summary>Sets the log text of a pod (all containers, or one), replacing what was there.</summary>
    /// <param name="namespace">Namespace of the pod.</param>
    /// <param name="pod">Pod name.</param>
    /// <param name="content">Log text.</param>
    /// <param name="container">Container, or null for every container.</param>
    public void SetPodLogs(string @namespace, string pod, string content, string? container = null) =>
        _core.PodIo.Logs.Set(@namespace, pod, container, content, append: false, close: false);

    /// <summary>Appends log text; <c>logs -f</c> followers receive it at once.</summary>
    /// <param name="namespace">Namespace of the pod.</param>
    /// <param name="pod">Pod name.</param>
    /// <param name="content">Text to append.</param>
    /// <param name="container">Container, or null for every container.</param>
    public void AppendPodLogs(string @namespace, string pod, string content, string? container = null) =>
        _core.PodIo.Logs.Set(@namespace, pod, container, content, append: true, close: false);

    /// <summary>Ends the log of a pod: followers get the rest and their stream closes.</summary>
    /// <param name="namespace">Namespace of the pod.</param>
    /// <param name="pod">Pod name.</param>
    /// <param name="container">Container, or null for every container.</param>
    public void ClosePodLogs(string @namespace, string pod, string? container = null) =>
        _core.PodIo.Logs.Set(@namespace, pod, container, string.Empty, append: true, close: true);

    /// <summary>Forgets the watch history: watches resuming from any earlier resourceVersion get 410 Expired.</summary>
    public void ExpireWatchHistory() => _core.Store.CompactHistory();

    /// <summary>The current (latest) resourceVersion.</summary>
    public long ResourceVersion => _core.Store.CurrentResourceVersion;

    /// <summary>Stops serving: open watches end, state is saved when persistence is on.</summary>
    /// <param name="cancellationToken">Cancels a graceful stop.</param>
    /// <returns>A task that completes once stopped.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        _core.SignalStopping();
        if (_controllers is not null)
        {
            await _controllers.DisposeAsync();
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
        }

        if (_persistence is not null)
        {
            await _persistence.DisposeAsync();
        }
    }

    /// <summary>Stops the server and deletes its temporary files.</summary>
    /// <returns>A task that completes once disposed.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
        _ca.Dispose();
        if (_tempDir is not null)
        {
            try
            {
                Directory.Delete(_tempDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
