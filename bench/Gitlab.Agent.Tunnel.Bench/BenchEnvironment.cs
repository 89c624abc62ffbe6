using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
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

namespace Gitlab.Agent.Tunnel.Bench;

/// <summary>
/// The test cluster, a real KAS (<c>AddKas().AddTunnel()</c>) and a real agentk (<c>AddAgentk().AddTunnel()</c>) on
/// loopback ports chosen at run time, plus one HTTP client straight to the cluster and one through KAS.
/// </summary>
internal sealed class BenchEnvironment : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly WebApplication _kas;
    private readonly IHost _agent;
    private readonly WebApplication _plainProxy;

    private BenchEnvironment(TempDirectory directory, KubernetesApiServer cluster, WebApplication kas, IHost agent, WebApplication plainProxy, HttpClient direct, HttpClient viaKas, HttpClient viaPlainProxy)
    {
        _directory = directory;
        Cluster = cluster;
        _kas = kas;
        _agent = agent;
        _plainProxy = plainProxy;
        Direct = direct;
        ViaKas = viaKas;
        ViaPlainProxy = viaPlainProxy;
    }

    public KubernetesApiServer Cluster { get; }

    /// <summary>HTTP/2 over TLS straight to the test cluster with its admin token.</summary>
    public HttpClient Direct { get; }

    /// <summary>HTTP/2 over TLS to KAS's Kubernetes API proxy with a CI job token (<c>ci:&lt;agent id&gt;:&lt;job token&gt;</c>).</summary>
    public HttpClient ViaKas { get; }

    /// <summary>HTTP/2 over TLS to a bare YARP reverse proxy in front of the test cluster (<see cref="PlainProxy"/>), with the admin token.</summary>
    public HttpClient ViaPlainProxy { get; }

    public static async Task<BenchEnvironment> StartAsync(string transport, bool verbose)
    {
        var directory = new TempDirectory("tunnel-bench");
        var cluster = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { RunControllers = false, SimulatePods = false });
        var (certFile, keyFile, certificate) = TestCertificates.CreatePemFiles(directory.Combine("tls"));
        using (var repository = await GitTestRepository.CreateBareAsync(directory.Combine("repositories", "group/agent-config.git")))
        {
            await repository.CommitFileAsync(".gitlab/agents/bench/config.yaml", "ci_access:\n  projects:\n  - id: group/app\n", "agent configuration");
        }

        var tls = transport is "grpcs" or "wss";
        var configuration = KasTestConfiguration.Loopback(directory);
        configuration.Agent.Listen.Websocket = transport is "ws" or "wss";
        if (tls)
        {
            (configuration.Agent.Listen.CertificateFile, configuration.Agent.Listen.KeyFile) = (certFile, keyFile);
        }

        configuration.Agent.KubernetesApi = new KubernetesApiCF { Listen = new ListenCF { Address = "127.0.0.1:0", CertificateFile = certFile, KeyFile = keyFile } };
        var kas = await KasTestHost.StartApplicationAsync(directory, configuration, l => Logging(l, verbose), k => k.AddTunnel(o => o.TokenDatabasePath = directory.Combine("proxy-tokens.db")));
        var addresses = kas.Services.GetRequiredService<IKasAddresses>();
        var registry = kas.Services.GetRequiredService<IAgentRegistry>();
        var agentInfo = await registry.CreateAgentAsync("group/agent-config", "bench");
        var agentToken = (await registry.CreateTokenAsync(agentInfo.Id, "bench")).Secret;

        var agentBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        Logging(agentBuilder.Logging, verbose);
        agentBuilder.Services.AddAgentk(o =>
        {
            o.KasAddress = addresses.Agent.ToString();
            o.Token = agentToken;
            o.CaCertFile = certFile;
            o.Kubeconfig = cluster.KubeconfigPath;
            o.PodNamespace = "gitlab-agent";
            o.PodName = "agentk-bench";
        }).AddTunnel();
        var agent = agentBuilder.Build();
        await agent.StartAsync();

        var job = new CiJob(1, 1, new ProjectRef(100, "group/app"), [new GroupRef(1, "group")], null, 1, "bench");
        var jobToken = (await kas.Services.GetRequiredService<ICiJobTokenService>().IssueAsync(job, TimeSpan.FromHours(4))).Token;
        var viaKas = Client(addresses.KubernetesApi!, $"ci:{agentInfo.Id}:{jobToken}", certificate);
        var direct = Client(cluster.BaseAddress, cluster.AdminToken, cluster.CaCertificate);
        var (plainProxy, plainProxyAddress) = await PlainProxy.StartAsync(cluster.BaseAddress, cluster.CaCertificate, certFile, keyFile);
        var viaPlainProxy = Client(plainProxyAddress, cluster.AdminToken, certificate);
        return new BenchEnvironment(directory, cluster, kas, agent, plainProxy, direct, viaKas, viaPlainProxy);
    }

    public async ValueTask DisposeAsync()
    {
        Direct.Dispose();
        ViaKas.Dispose();
        ViaPlainProxy.Dispose();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _agent.StopAsync(timeout.Token);
        _agent.Dispose();
        await _kas.StopAsync(timeout.Token);
        await _kas.DisposeAsync();
        await _plainProxy.StopAsync(timeout.Token);
        await _plainProxy.DisposeAsync();
        await Cluster.DisposeAsync();
        _directory.Dispose();
    }

    private static void Logging(ILoggingBuilder logging, bool verbose)
    {
        logging.ClearProviders();
        if (verbose)
        {
            logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information);
        }
    }

    private static HttpClient Client(Uri baseAddress, string token, X509Certificate2 trusted)
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) => errors == System.Net.Security.SslPolicyErrors.None || TestCertificates.ChainsTo(cert, trusted);
        var client = new HttpClient(handler)
        {
            BaseAddress = new Uri(baseAddress.ToString().TrimEnd('/') + "/"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        client.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        return client;
    }
}
