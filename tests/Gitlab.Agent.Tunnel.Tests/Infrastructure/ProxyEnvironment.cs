using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.Protocol.KasCfg;
using Gitlab.Agent.Testing;
using Gitlab.Agent.Tunnel.Agent;
using Gitlab.Agent.Tunnel.Server;
using Gitlab.Agent.Tunnel.Server.Access;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gitlab.Agent.Tunnel.Tests.Infrastructure;

/// <summary>
/// kubectl → KAS (Kubernetes API proxy on HTTPS) → tunnel (given transport) → agent → in-process test cluster.
/// KAS keeps its ports across <see cref="RestartKasAsync"/>.
/// </summary>
internal sealed class ProxyEnvironment : IAsyncDisposable
{
    public const long AgentId = 42;
    public const string AgentName = "my-agent";
    public const string AgentToken = "glagent-proxy-test";
    public static readonly ProjectRef ConfigProject = new(7, "group/agent-config");

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gitlab-agent-tunnel-tests", Guid.NewGuid().ToString("N"));
    private readonly TestAgentAuthenticator _authenticator = new TestAgentAuthenticator().Add(AgentToken, new AgentIdentity(AgentId, AgentName, ConfigProject.Id, ConfigProject.Path, 1));
    private readonly KasTransport _transport;
    private int _agentPort;
    private int _k8sPort;

    private ProxyEnvironment(KasTransport transport, KubernetesApiServer cluster)
    {
        _transport = transport;
        Cluster = cluster;
        Directory.CreateDirectory(_directory);
    }

    public KubernetesApiServer Cluster { get; }

    public TestKasServer Kas { get; private set; } = null!;

    public TestAgent? Agent { get; private set; }

    public TestAgentConfigurationStore Agents { get; } = new();

    public CapturedLogs Logs { get; } = new();

    public ICiJobTokenService JobTokens => Kas.Services.GetRequiredService<ICiJobTokenService>();

    /// <summary>KAS's user store (users, memberships, personal access tokens), on a SQLite file that survives KAS restarts.</summary>
    public IUserStore Users => Kas.Services.GetRequiredService<IUserStore>();

    /// <summary>Project ids for user memberships: <c>group/app</c> is 100, as in <see cref="Job"/>.</summary>
    public TestProjectInfoProvider Projects { get; } = new TestProjectInfoProvider().Add(100, "group/app");

    public TunnelAgentOptions AgentOptions { get; } = new();

    /// <summary>Default job: project <c>group/app</c> (id 100) in groups <c>group</c> (1) and <c>group/sub</c>… no, only <c>group</c>.</summary>
    public static CiJob Job(long jobId = 1001, string projectPath = "group/app", long projectId = 100, CiJobEnvironment? environment = null) =>
        new(jobId, 5001, new ProjectRef(projectId, projectPath), [new GroupRef(1, "group")], environment, 9, "alice");

    public static async Task<ProxyEnvironment> StartAsync(KasTransport transport, string agentConfigYaml, bool rbac = false)
    {
        var cluster = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { EnableRbac = rbac });
        var env = new ProxyEnvironment(transport, cluster);
        env.Agents.Set(AgentId, AgentName, ConfigProject, agentConfigYaml);
        await env.StartKasAsync();
        env.StartAgent();
        return env;
    }

    public async Task StartKasAsync()
    {
        var tokenDb = Path.Combine(_directory, "tokens.db");
        var registryDb = Path.Combine(_directory, "kas.db");
        var addresses = new TestKasAddresses();
        Kas = await TestKasServer.StartAsync(new TestKasServerOptions
        {
            Transport = _transport,
            AgentPort = _agentPort,
            KubernetesApiListener = true,
            KubernetesApiPort = _k8sPort,
            ApiListener = true,
            Logs = Logs,
            ConfigureServices = services =>
            {
                services.AddSingleton<IAgentAuthenticator>(_authenticator);
                services.AddSingleton<IAgentConfigurationStore>(Agents);
                services.AddSingleton<IKasAddresses>(addresses);
                services.AddSingleton<IProjectInfoProvider>(Projects);
                services.Configure<KasOptions>(o => o.Configuration = new ConfigurationFile { Registry = new RegistryCF { Sqlite = new SqliteCF { Path = registryDb } } });
                new TestKasBuilder(services).AddTunnel(o =>
                {
                    o.TokenDatabasePath = tokenDb;
                    o.UrlPathPrefix = "/k8s-proxy";
                    o.CertificateAuthorityFile = SharedTls.CaFile;
                });
            },
            MapEndpoints = app =>
            {
                var module = app.Services.GetRequiredService<TunnelKasModule>();
                module.MapEndpoints(KasListener.Agent, app);
                module.MapEndpoints(KasListener.KubernetesApi, app);
                module.MapEndpoints(KasListener.Api, app);
            },
        });
        _agentPort = Kas.AgentAddress.Port;
        _k8sPort = Kas.KubernetesApiAddress!.Port;
        addresses.KubernetesApi = Kas.KubernetesApiAddress;
    }

    public void StartAgent()
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(Cluster.KubeconfigPath);
        var handler = new KubernetesApiTunnelHandler(() => new KubernetesHttpClient(config), "v0.0.0-test/abc", NullLogger<KubernetesApiTunnelHandler>.Instance);
        Agent = new TestAgent(Kas.AgentAddress, AgentToken, [handler], AgentOptions);
    }

    public async Task StopAgentAsync()
    {
        if (Agent is not null)
        {
            await Agent.DisposeAsync();
            Agent = null;
        }
    }

    public async Task RestartKasAsync()
    {
        await Kas.DisposeAsync();
        await StartKasAsync();
    }

    /// <summary>Issues a CI job token and downloads the job's kubeconfig from KAS's API listener.</summary>
    public async Task<(string Kubeconfig, string Token)> JobKubeconfigAsync(CiJob? job = null)
    {
        var issued = await JobTokens.IssueAsync(job ?? Job());
        return (await DownloadAsync("/api/v4/job/kubeconfig", "Job-Token", issued.Token), issued.Token);
    }

    /// <summary>Creates <paramref name="username"/> with one membership and a personal access token with <paramref name="scopes"/> (default <c>k8s_proxy</c>).</summary>
    public async Task<NewPersonalAccessToken> CreateUserTokenAsync(string username, MembershipTarget target, AccessLevel role, params string[] scopes)
    {
        if (await Users.FindUserAsync(username) is null)
        {
            await Users.CreateUserAsync(username);
        }

        await Users.SetMembershipAsync(username, target, role);
        return await Users.CreatePersonalAccessTokenAsync(username, "kubectl", scopes.Length == 0 ? [PersonalAccessTokenScopes.K8sProxy] : scopes);
    }

    /// <summary>Creates the user and token (<see cref="CreateUserTokenAsync"/>) and downloads the user's kubeconfig for the agent from KAS's API listener.</summary>
    public async Task<(string Kubeconfig, string Token)> UserKubeconfigAsync(string username, MembershipTarget target, AccessLevel role)
    {
        var token = await CreateUserTokenAsync(username, target, role);
        return (await DownloadAsync($"/api/v4/user/agents/{AgentId}/kubeconfig", "Private-Token", token.Secret), token.Secret);
    }

    public string WriteKubeconfig(string content)
    {
        var path = Path.Combine(_directory, $"kubeconfig-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>A kubeconfig for the proxy with an arbitrary bearer token (for refused credentials).</summary>
    public string KubeconfigWithToken(string token)
    {
        var ca = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(SharedTls.CaPem));
        return WriteKubeconfig($$"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: gitlab
              cluster:
                server: {{Kas.KubernetesApiAddress}}k8s-proxy
                certificate-authority-data: {{ca}}
            users:
            - name: u
              user:
                token: "{{token}}"
            contexts:
            - name: c
              context:
                cluster: gitlab
                user: u
            current-context: c
            """);
    }

    public Task<KubectlResult> KubectlAsync(string kubeconfig, params string[] args) => Kubectl.RunAsync(kubeconfig, args);

    public async ValueTask DisposeAsync()
    {
        await StopAgentAsync();
        await Kas.DisposeAsync();
        await Cluster.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<string> DownloadAsync(string path, string header, string token)
    {
        using var http = new HttpClient { BaseAddress = Kas.ApiAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(header, token);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"kubeconfig download failed: {(int)response.StatusCode} {body}");
        return WriteKubeconfig(body);
    }
}
