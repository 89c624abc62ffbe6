// Kubernetes API through KAS (proxy + reverse tunnel + agentk) versus straight to the same test cluster, in one run.
//   dotnet run -c Release --project bench/Gitlab.Agent.Tunnel.Bench -- [--transport grpc|grpcs|ws|wss] [--gets 2000] [--list-mb 100] [--watches 100]
// Targets: small GET latency through KAS <= 1.5x direct (p50 and p99); 100 MB LIST throughput through KAS >= 50 % of
// direct; 100 concurrent watches through KAS held for the whole run and receive every event (zero drops).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Protocol.KasCfg;
using Gitlab.Agent.Testing;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.TestUtilities.Git;
using Gitlab.Agent.Tunnel.Server.Access;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var transport = Arg("--transport", "grpc");
var gets = int.Parse(Arg("--gets", "2000"), CultureInfo.InvariantCulture);
var listMb = int.Parse(Arg("--list-mb", "100"), CultureInfo.InvariantCulture);
var watches = int.Parse(Arg("--watches", "100"), CultureInfo.InvariantCulture);

using var directory = new TempDirectory("tunnel-bench");
await using var cluster = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { RunControllers = false, SimulatePods = false });
var (certFile, keyFile, certificate) = TestCertificates.CreatePemFiles(directory.Combine("tls"));
using (var repository = await GitTestRepository.CreateBareAsync(directory.Combine("repos", "group/agent-config.git")))
{
    await repository.CommitFileAsync(".gitlab/agents/bench/config.yaml", "ci_access:\n  projects:\n  - id: group/app\n", "agent configuration");
}

var tls = transport is "grpcs" or "wss";
var kasBuilder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = directory.Path });
kasBuilder.Logging.ClearProviders();
kasBuilder.Services.AddKas(o => o.Configuration = new ConfigurationFile
{
    Agent = new AgentCF
    {
        Listen = new AgentListenCF { Address = "127.0.0.1:0", Websocket = transport is "ws" or "wss", CertificateFile = tls ? certFile : "", KeyFile = tls ? keyFile : "" },
        KubernetesApi = new KubernetesApiCF { Listen = new ListenCF { Address = "127.0.0.1:0", CertificateFile = certFile, KeyFile = keyFile } },
    },
    Api = new ApiCF { Listen = new ListenCF { Address = "127.0.0.1:0" } },
    Observability = new ObservabilityCF { Listen = new ListenCF { Address = "127.0.0.1:0" } },
    Repositories = new RepositoriesCF { Directory = directory.Combine("repos") },
    Registry = new RegistryCF { Sqlite = new SqliteCF { Path = directory.Combine("kas.db") } },
}).AddTunnel(o => o.TokenDatabasePath = ":memory:");
await using var kas = kasBuilder.Build();
kas.MapKas();
await kas.StartAsync();
var addresses = kas.Services.GetRequiredService<IKasAddresses>();
var registry = kas.Services.GetRequiredService<IAgentRegistry>();
var agentInfo = await registry.CreateAgentAsync("group/agent-config", "bench");
var agentToken = (await registry.CreateTokenAsync(agentInfo.Id, "bench")).Secret;

var agentBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
agentBuilder.Logging.ClearProviders();
agentBuilder.Services.AddAgentk(o =>
{
    o.KasAddress = addresses.Agent.ToString();
    o.Token = agentToken;
    o.CaCertFile = certFile;
    o.Kubeconfig = cluster.KubeconfigPath;
    o.PodNamespace = "gitlab-agent";
    o.PodName = "agentk-bench";
}).AddTunnel();
using var agent = agentBuilder.Build();
await agent.StartAsync();

var jobToken = (await kas.Services.GetRequiredService<ICiJobTokenService>().IssueAsync(
    new CiJob(1, 1, new ProjectRef(100, "group/app"), [new GroupRef(1, "group")], null, 1, "bench"), TimeSpan.FromHours(2))).Token;
using var viaKas = Client(new Uri(addresses.KubernetesApi!, "/"), $"ci:{agentInfo.Id}:{jobToken}", certificate);
using var direct = Client(cluster.BaseAddress, cluster.AdminToken, cluster.CaCertificate);

// Data: one small object, listMb objects of ~1 MB, a namespace for the watches.
using var admin = cluster.CreateClient();
foreach (var ns in new[] { "bench", "big", "watched" })
{
    await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
}

await admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "small" }, Data = new Dictionary<string, string> { ["k"] = "v" } }, "bench");
var megabyte = new string('x', 1_000_000);
for (var i = 0; i < listMb; i++)
{
    await admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"blob-{i:D3}" }, Data = new Dictionary<string, string> { ["v"] = megabyte } }, "big");
}

Console.WriteLine($"transport={transport} gets={gets} list={listMb} MB watches={watches} cores={Environment.ProcessorCount}");

// Watches through KAS, held while everything else runs.
var watchVersion = JsonNode.Parse(await direct.GetStringAsync("/api/v1/namespaces/watched/configmaps"))!["metadata"]!["resourceVersion"]!.GetValue<string>();
var watchers = Enumerable.Range(0, watches).Select(_ => new Watcher(viaKas, $"/api/v1/namespaces/watched/configmaps?watch=true&resourceVersion={watchVersion}&allowWatchBookmarks=false")).ToList();
await Task.WhenAll(watchers.Select(w => w.Started));
Console.WriteLine($"{watches} watches open through KAS");

// Warm up both paths.
for (var i = 0; i < 50; i++)
{
    (await direct.GetAsync("/api/v1/namespaces/bench/configmaps/small")).EnsureSuccessStatusCode();
    (await viaKas.GetAsync("/api/v1/namespaces/bench/configmaps/small")).EnsureSuccessStatusCode();
}

var events = 0;
async Task TouchWatchedAsync()
{
    events++;
    await admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"event-{events}" } }, "watched");
}

// Small GET latency, interleaved so both paths see the same machine load.
var directTimes = new List<double>(gets);
var kasTimes = new List<double>(gets);
for (var i = 0; i < gets; i++)
{
    directTimes.Add(await TimeGetAsync(direct, "/api/v1/namespaces/bench/configmaps/small"));
    kasTimes.Add(await TimeGetAsync(viaKas, "/api/v1/namespaces/bench/configmaps/small"));
    if (i % 200 == 0)
    {
        await TouchWatchedAsync();
    }
}

// Large LIST throughput, three rounds each, interleaved.
var directRates = new List<double>();
var kasRates = new List<double>();
for (var round = 0; round < 3; round++)
{
    directRates.Add(await ListRateAsync(direct));
    kasRates.Add(await ListRateAsync(viaKas));
    await TouchWatchedAsync();
}

// Every watch must still be open and have seen every event.
var deadline = DateTime.UtcNow.AddSeconds(30);
while (DateTime.UtcNow < deadline && watchers.Any(w => w.Events < events))
{
    await Task.Delay(100);
}

var dropped = watchers.Count(w => w.Ended || w.Events < events);

double P(List<double> values, double p) => values.Order().ElementAt((int)Math.Min(values.Count - 1, Math.Ceiling(p * values.Count) - 1));
var rows = new[]
{
    ("small GET p50 (ms)", P(directTimes, 0.50), P(kasTimes, 0.50), P(kasTimes, 0.50) / P(directTimes, 0.50), "<= 1.5x"),
    ("small GET p99 (ms)", P(directTimes, 0.99), P(kasTimes, 0.99), P(kasTimes, 0.99) / P(directTimes, 0.99), "<= 1.5x"),
    ($"{listMb} MB LIST (MB/s, best of 3)", directRates.Max(), kasRates.Max(), kasRates.Max() / directRates.Max(), ">= 0.5"),
};
Console.WriteLine();
Console.WriteLine("| Measurement | Direct | Through KAS | Ratio (KAS/direct) | Target |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var (name, d, k, ratio, target) in rows)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {d:0.00} | {k:0.00} | {ratio:0.00} | {target} |"));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {watches} watches held through KAS, {events} events each | - | {watches - dropped} complete, {dropped} dropped | - | 0 dropped |"));

foreach (var w in watchers)
{
    w.Dispose();
}

await agent.StopAsync();
await kas.StopAsync();
return dropped == 0 ? 0 : 1;

async Task<double> TimeGetAsync(HttpClient client, string path)
{
    var started = Stopwatch.GetTimestamp();
    using var response = await client.GetAsync(path, HttpCompletionOption.ResponseContentRead);
    response.EnsureSuccessStatusCode();
    return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}

async Task<double> ListRateAsync(HttpClient client)
{
    var started = Stopwatch.GetTimestamp();
    using var response = await client.GetAsync("/api/v1/namespaces/big/configmaps", HttpCompletionOption.ResponseHeadersRead);
    response.EnsureSuccessStatusCode();
    await using var body = await response.Content.ReadAsStreamAsync();
    var buffer = new byte[64 * 1024];
    long total = 0;
    int read;
    while ((read = await body.ReadAsync(buffer)) > 0)
    {
        total += read;
    }

    return total / 1e6 / Stopwatch.GetElapsedTime(started).TotalSeconds;
}

static HttpClient Client(Uri baseAddress, string token, X509Certificate2 trusted)
{
    var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan };
    handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
    {
        if (errors == System.Net.Security.SslPolicyErrors.None)
        {
            return true;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return cert is X509Certificate2 c && chain.Build(c);
    };
    var client = new HttpClient(handler)
    {
        BaseAddress = baseAddress,
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        Timeout = Timeout.InfiniteTimeSpan,
    };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    client.DefaultRequestHeaders.Accept.ParseAdd("application/json");
    return client;
}

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

/// <summary>One watch request held open; counts ADDED events and notices when the stream ends.</summary>
internal sealed class Watcher : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _events;

    public Watcher(HttpClient client, string path) => _ = RunAsync(client, path);

    public Task Started => _started.Task;

    public int Events => Volatile.Read(ref _events);

    public bool Ended { get; private set; }

    public void Dispose() => _stop.Cancel();

    private async Task RunAsync(HttpClient client, string path)
    {
        try
        {
            using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
            response.EnsureSuccessStatusCode();
            _started.TrySetResult();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token), Encoding.UTF8);
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Contains("\"ADDED\"", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _events);
                }
            }

            Ended = true;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Ended = true;
            _started.TrySetException(e);
        }
    }
}
