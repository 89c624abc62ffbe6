using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gitlab.Agent.Agentk;
using Gitlab.Agent.GitOps.Agent;
using Gitlab.Agent.GitOps.Server;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Protocol.KasCfg;
using Gitlab.Agent.Testing;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.TestUtilities.Git;
using Google.Protobuf.WellKnownTypes;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.GitOps.Tests.Infrastructure;

/// <summary>
/// Everything GitOps needs, in-process and on loopback: a real KAS (bare repositories, SQLite registry, the GitOps
/// module), a test Kubernetes API server, and a real agentk (AddAgentk().AddGitOps()) pointed at both.
/// </summary>
internal sealed class GitOpsEnvironment : IAsyncDisposable
{
    public const string ConfigProject = "group/project";
    public const string AgentName = "agent1";

    private readonly List<IDisposable> _disposables = [];
    private readonly KasTestHost _kas;
    private IHost? _agent;

    private GitOpsEnvironment(KasTestHost kas, KubernetesApiServer cluster)
    {
        _kas = kas;
        Cluster = cluster;
        Kubernetes = cluster.CreateClient();
        Client = new KubernetesDynamicClient(Kubernetes);
    }

    public TempDirectory Directory => _kas.Directory;

    public WebApplication Kas => _kas.App;

    public KubernetesApiServer Cluster { get; }

    public IKubernetes Kubernetes { get; }

    public KubernetesDynamicClient Client { get; }

    public CapturedLogs KasLogs => _kas.Logs;

    public CapturedLogs AgentLogs { get; } = new();

    public AgentInfo Agent { get; private set; } = null!;

    public string Token { get; private set; } = "";

    public GitTestRepository ConfigRepository { get; private set; } = null!;

    public IAgentRegistry Registry => _kas.Registry;

    public static async Task<GitOpsEnvironment> StartAsync(
        Action<ConfigurationFile>? configureKas = null,
        KubernetesApiServerOptions? clusterOptions = null)
    {
        var servesRepositoryDirectory = false;
        var kas = await KasTestHost.StartAsync(
            c =>
            {
                c.Agent.Gitops = new Protocol.KasCfg.GitopsCF { PollPeriod = Duration.FromTimeSpan(TimeSpan.FromSeconds(30)) };
                configureKas?.Invoke(c);
                servesRepositoryDirectory = c.Repositories.Directory.Length > 0;
            },
            (builder, _) => builder.AddGitOps(),
            pollPeriod: TimeSpan.FromSeconds(2));
        var cluster = await KubernetesApiServer.StartAsync(clusterOptions);
        var environment = new GitOpsEnvironment(kas, cluster);
        var (agent, token) = await environment.CreateAgentAsync(ConfigProject, AgentName);
        environment.Agent = agent;
        environment.Token = token;
        if (servesRepositoryDirectory)
        {
            environment.ConfigRepository = await environment.CreateRepositoryAsync(ConfigProject);
        }

        return environment;
    }

    public async Task<(AgentInfo Agent, string Token)> CreateAgentAsync(string projectPath, string name)
    {
        var (agent, token) = await _kas.CreateAgentAsync(projectPath, name);
        return (agent, token.Secret);
    }

    public async Task<GitTestRepository> CreateRepositoryAsync(string projectPath)
    {
        var repository = await _kas.CreateRepositoryAsync(projectPath);
        _disposables.Add(repository);
        return repository;
    }

    /// <summary>Commits files (null deletes) and sends KAS a push notification for the project.</summary>
    public async Task<string> PushAsync(GitTestRepository repository, string projectPath, IReadOnlyDictionary<string, string?> files, bool expectRefreshed = true)
    {
        var commit = await repository.CommitAsync(files);
        await NotifyAsync(projectPath, expectRefreshed);
        return commit;
    }

    /// <summary>Sends the push notification KAS's post-receive hook would send; KAS answers 502 when it cannot fetch.</summary>
    public async Task<int> NotifyAsync(string projectPath, bool expectRefreshed = true)
    {
        using var http = ApiClient();
        using var response = await http.PostAsync($"/-/refresh/{projectPath}", null);
        if (expectRefreshed)
        {
            response.EnsureSuccessStatusCode();
        }

        return (int)response.StatusCode;
    }

    public HttpClient ApiClient()
    {
        var address = _kas.Addresses.Get(KasListener.Api)!;
        return new HttpClient { BaseAddress = new UriBuilder(address) { Scheme = "http" }.Uri, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Writes the agent configuration file and starts agentk.</summary>
    public async Task StartAgentAsync(string? configYaml, Action<GitOpsAgentOptions>? configure = null) =>
        await StartAgentAsync(configYaml, ConfigRepository, configure);

    /// <summary>Writes the agent configuration file (unless null) into <paramref name="configRepository"/> and starts agentk.</summary>
    public async Task StartAgentAsync(string? configYaml, GitTestRepository configRepository, Action<GitOpsAgentOptions>? configure = null)
    {
        if (configYaml is not null)
        {
            await PushAsync(configRepository, ConfigProject, new Dictionary<string, string?> { [$".gitlab/agents/{AgentName}/config.yaml"] = configYaml });
        }

        var agentAddress = _kas.Addresses.Get(KasListener.Agent)!;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders().AddProvider(AgentLogs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddAgentk(o =>
        {
            o.KasAddress = $"grpc://127.0.0.1:{agentAddress.Port}";
            o.Token = Token;
            o.Kubeconfig = Cluster.KubeconfigPath;
            o.PodNamespace = "gitlab-agent";
            o.PodName = "agentk-0";
        }).AddGitOps(o =>
        {
            o.RetryInitialBackoff = TimeSpan.FromMilliseconds(200);
            o.RetryMaxBackoff = TimeSpan.FromSeconds(2);
            o.ReadinessPollInterval = TimeSpan.FromMilliseconds(200);
            o.DriftDebounce = TimeSpan.FromMilliseconds(100);
            configure?.Invoke(o);
        });
        _agent = builder.Build();
        await _agent.StartAsync();
    }

    public async Task StopAgentAsync()
    {
        if (_agent is not null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await _agent.StopAsync(cts.Token);
            _agent.Dispose();
            _agent = null;
        }
    }

    public async Task<JsonObject?> GetAsync(string apiVersion, string kind, string? ns, string name)
    {
        var resource = await Client.ResolveAsync(apiVersion, kind, CancellationToken.None) ?? throw new InvalidOperationException($"{apiVersion} {kind} is not served");
        return await Client.GetAsync(resource, ns, name, CancellationToken.None);
    }

    public Task WaitForAsync(Func<Task<bool>> condition, string description) =>
        Eventually.TrueAsync(condition, description, TimeSpan.FromSeconds(60));

    /// <summary>The sync state KAS holds for the agent, through its HTTP API.</summary>
    public async Task<List<GitOpsSyncState>> SyncStatesAsync()
    {
        using var http = ApiClient();
        var json = await http.GetStringAsync($"/api/v4/agents/{Agent.Id}/gitops/sync-state");
        return JsonSerializer.Deserialize<List<GitOpsSyncState>>(json, GitOpsJson.Options)!;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAgentAsync();
        Kubernetes.Dispose();
        await Cluster.DisposeAsync();
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        await _kas.DisposeAsync();
    }
}
