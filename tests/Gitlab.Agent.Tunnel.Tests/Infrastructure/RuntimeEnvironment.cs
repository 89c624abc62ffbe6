using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Protocol.KasCfg;
using Gitlab.Agent.Testing;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.TestUtilities.Git;
using Gitlab.Agent.Tunnel.Server.Access;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Tunnel.Tests.Infrastructure;

/// <summary>
/// The production composition: KAS built with <c>AddKas().AddTunnel()</c> + <c>MapKas()</c> (agent registry, agent
/// configuration read from a bare repository) and agentk built with <c>AddAgentk().AddTunnel()</c>, against the
/// in-process test cluster. Ports stay the same across <see cref="RestartKasAsync"/>.
/// </summary>
internal sealed class RuntimeEnvironment : IAsyncDisposable
{
    public const string ConfigProject = "group/agent-config";
    public const string AgentName = "my-agent";

    private readonly TempDirectory _directory = new("tunnel-runtime");
    private readonly KasTransport _transport;
    private readonly (string CertificateFile, string KeyFile) _tls;
    private int _agentPort;
    private int _k8sPort;
    private int _apiPort;
    private WebApplication? _kas;
    private IHost? _agent;

    private RuntimeEnvironment(KasTransport transport, KubernetesApiServer cluster)
    {
        _transport = transport;
        Cluster = cluster;
        var (cert, key, _) = TestCertificates.CreatePemFiles(_directory.Combine("tls"));
        _tls = (cert, key);
    }

    public KubernetesApiServer Cluster { get; }

    public CapturedLogs KasLogs { get; } = new();

    public CapturedLogs AgentLogs { get; } = new();

    public long AgentId { get; private set; }

    public string AgentToken { get; private set; } = string.Empty;

    public WebApplication Kas => _kas ?? throw new InvalidOperationException("KAS is not running");

    public IHost Agent => _agent ?? throw new InvalidOperationException("agentk is not running");

    public IKasAddresses Addresses => Kas.Services.GetRequiredService<IKasAddresses>();

    public ICiJobTokenService JobTokens => Kas.Services.GetRequiredService<ICiJobTokenService>();

    /// <summary>agentk's tunnel options (applied from the next <see cref="StartAgentAsync"/>).</summary>
    public Action<Gitlab.Agent.Tunnel.Agent.TunnelAgentOptions>? AgentTunnelOptions { get; set; }

    /// <summary>A loopback port agentk dials instead of KAS's agent port (a <see cref="TcpRelay"/>), from the next <see cref="StartAgentAsync"/>.</summary>
    public int? AgentDialsPort { get; set; }

    /// <summary>KAS's agent listener port (stable across <see cref="RestartKasAsync"/>).</summary>
    public int KasAgentPort => _agentPort;

    public static async Task<RuntimeEnvironment> StartAsync(KasTransport transport, string agentConfig, Action<Gitlab.Agent.Tunnel.Agent.TunnelAgentOptions>? agentTunnelOptions = null)
    {
        var cluster = await KubernetesApiServer.StartAsync();
        var env = new RuntimeEnvironment(transport, cluster) { AgentTunnelOptions = agentTunnelOptions };
        using (var repository = await GitTestRepository.CreateBareAsync(env._directory.Combine("repositories", ConfigProject + ".git")))
        {
            await repository.CommitFileAsync($".gitlab/agents/{AgentName}/config.yaml", agentConfig, "agent configuration");
        }

        await env.StartKasAsync();
        var registry = env.Kas.Services.GetRequiredService<IAgentRegistry>();
        var agent = await registry.CreateAgentAsync(ConfigProject, AgentName);
        env.AgentId = agent.Id;
        env.AgentToken = (await registry.CreateTokenAsync(agent.Id, "tunnel-tests")).Secret;
        await env.StartAgentAsync();
        return env;
    }

    public async Task StartKasAsync()
    {
        var tls = _transport is KasTransport.Grpcs or KasTransport.Wss;
        var configuration = KasTestConfiguration.Loopback(_directory);
        configuration.Agent.Listen = new AgentListenCF
        {
            Address = $"127.0.0.1:{_agentPort}",
            Websocket = _transport is KasTransport.Ws or KasTransport.Wss,
            CertificateFile = tls ? _tls.CertificateFile : string.Empty,
            KeyFile = tls ? _tls.KeyFile : string.Empty,
        };
        configuration.Agent.KubernetesApi = new KubernetesApiCF
        {
            Listen = new ListenCF { Address = $"127.0.0.1:{_k8sPort}", CertificateFile = _tls.CertificateFile, KeyFile = _tls.KeyFile },
            UrlPathPrefix = "/k8s-proxy",
        };
        configuration.Api.Listen.Address = $"127.0.0.1:{_apiPort}";
        _kas = await KasTestHost.StartApplicationAsync(_directory, configuration, l => l.AddProvider(KasLogs), kas => kas.AddTunnel(o =>
        {
            o.TokenDatabasePath = _directory.Combine("proxy-tokens.db");
            o.CertificateAuthorityFile = _tls.CertificateFile;
        }));
        _agentPort = Addresses.Agent.Port;
        _k8sPort = Addresses.KubernetesApi!.Port;
        _apiPort = Addresses.Api.Port;
    }

    public async Task StopKasAsync()
    {
        if (_kas is { } kas)
        {
            _kas = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await kas.StopAsync(timeout.Token);
            await kas.DisposeAsync();
        }
    }

    public async Task RestartKasAsync()
    {
        await StopKasAsync();
        await StartKasAsync();
    }

    public async Task StartAgentAsync()
    {
        var address = AgentDialsPort is { } port ? new UriBuilder(Addresses.Agent) { Port = port }.Uri.ToString() : Addresses.Agent.ToString();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders().AddProvider(AgentLogs);
        builder.Services.AddAgentk(o =>
        {
            o.KasAddress = address;
            o.Token = AgentToken;
            o.CaCertFile = _tls.CertificateFile;
            o.Kubeconfig = Cluster.KubeconfigPath;
            o.PodNamespace = "gitlab-agent";
            o.PodName = "agentk-tunnel-tests";
        }).AddTunnel(AgentTunnelOptions);
        var host = builder.Build();
        await host.StartAsync();
        _agent = host;
    }

    public async Task StopAgentAsync()
    {
        if (_agent is { } agent)
        {
            _agent = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await agent.StopAsync(timeout.Token);
            agent.Dispose();
        }
    }

    /// <summary>Issues a CI job token for <c>group/app</c> and downloads the job's kubeconfig from KAS's API listener.</summary>
    public async Task<string> JobKubeconfigAsync()
    {
        var issued = await JobTokens.IssueAsync(ProxyEnvironment.Job());
        using var http = new HttpClient { BaseAddress = Addresses.Api };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v4/job/kubeconfig");
        request.Headers.Add("Job-Token", issued.Token);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"kubeconfig download failed: {(int)response.StatusCode} {body}");
        var path = _directory.Combine($"kubeconfig-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, body);
        return path;
    }

    public string Diagnostics() => $"KAS log:\n{KasLogs}\nagentk log:\n{AgentLogs}";

    public async ValueTask DisposeAsync()
    {
        await StopAgentAsync();
        await StopKasAsync();
        await Cluster.DisposeAsync();
        _directory.Dispose();
    }
}
