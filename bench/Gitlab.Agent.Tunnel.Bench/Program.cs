// Kubernetes API through KAS (proxy + reverse tunnel + agentk) versus straight to the same test cluster, in one run.
//   dotnet run -c Release --project bench/Gitlab.Agent.Tunnel.Bench -- [--transport grpc|grpcs|ws|wss]
//       [--gets 2000] [--list-mb 100] [--rounds 3] [--watches 100] [--verbose]
// Targets: small GET latency through KAS <= 1.5x direct (p50 and p99); 100 MB LIST throughput through KAS >= 50 % of
// direct; 100 concurrent watches through KAS held for the whole run, each receiving every event (zero drops).
// A third path, the peer, goes through a bare YARP reverse proxy (PlainProxy.cs): what one extra hop costs on this
// machine. The paths are measured in rotation (request by request, round by round, the first path changing each time)
// so that the load of a shared machine hits all equally.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Gitlab.Agent.Tunnel.Bench;
using k8s;
using k8s.Models;

var transport = Arg("--transport", "grpc");
if (transport is not ("grpc" or "grpcs" or "ws" or "wss"))
{
    Console.Error.WriteLine($"--transport must be grpc, grpcs, ws or wss, not '{transport}'");
    return 2;
}

var gets = int.Parse(Arg("--gets", "2000"), CultureInfo.InvariantCulture);
var listMb = int.Parse(Arg("--list-mb", "100"), CultureInfo.InvariantCulture);
var rounds = int.Parse(Arg("--rounds", "3"), CultureInfo.InvariantCulture);
var watches = int.Parse(Arg("--watches", "100"), CultureInfo.InvariantCulture);
const string SmallPath = "/api/v1/namespaces/bench/configmaps/small";
const string ListPath = "/api/v1/namespaces/big/configmaps";

await using var env = await BenchEnvironment.StartAsync(transport, args.Contains("--verbose"));

// Data: one small object, listMb objects of ~1 MB, a namespace whose changes the watches follow.
using var admin = env.Cluster.CreateClient();
foreach (var ns in new[] { "bench", "big", "watched" })
{
    await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
}

await admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "small" }, Data = new Dictionary<string, string> { ["k"] = "v" } }, "bench");
// Each value is base64 of random bytes, like the certificates and archives real ConfigMaps and Secrets carry: it does
// not shrink much under gzip, so the figures do not depend on how well repeated bytes compress.
var random = new Random(42);
for (var i = 0; i < listMb; i++)
{
    var bytes = new byte[750_000];
    random.NextBytes(bytes);
    await admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"blob-{i:D3}" }, Data = new Dictionary<string, string> { ["v"] = Convert.ToBase64String(bytes) } }, "big");
}

Console.WriteLine($"transport={transport} gets={gets} list={listMb} MB x {rounds} rounds watches={watches} cores={Environment.ProcessorCount} {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");

// Warm up both paths (connections, JIT, the agent's tunnel pool).
for (var i = 0; i < 100; i++)
{
    await TimeGetAsync(env.Direct, SmallPath);
    await TimeGetAsync(env.ViaKas, SmallPath);
}

// Watches through KAS, from one resource version, held while everything else runs.
var watchVersion = JsonNode.Parse(await env.Direct.GetStringAsync("api/v1/namespaces/watched/configmaps"))!["metadata"]!["resourceVersion"]!.GetValue<string>();
var watchers = Enumerable.Range(0, watches)
    .Select(_ => new Watcher(env.ViaKas, $"api/v1/namespaces/watched/configmaps?watch=true&resourceVersion={watchVersion}&allowWatchBookmarks=false"))
    .ToList();
await Task.WhenAll(watchers.Select(w => w.Started)).WaitAsync(TimeSpan.FromSeconds(60));
Console.WriteLine($"{watches} watches open through KAS");

var events = 0;
async Task TouchWatchedAsync()
{
    events++;
    await admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"event-{events}" } }, "watched");
}

// Small GET latency, request by request, rotating which path goes first. The bare reverse proxy is the peer that
// shows what one extra hop costs on this machine (PlainProxy.cs).
var paths = new (string Name, HttpClient Client)[] { ("direct", env.Direct), ("kas", env.ViaKas), ("proxy", env.ViaPlainProxy) };
var times = paths.ToDictionary(p => p.Name, _ => new List<double>(gets));
for (var i = 0; i < gets; i++)
{
    for (var k = 0; k < paths.Length; k++)
    {
        var (name, client) = paths[(i + k) % paths.Length];
        times[name].Add(await TimeGetAsync(client, SmallPath));
    }

    if (i % 200 == 0)
    {
        await TouchWatchedAsync();
    }
}

// CPU time the whole process (client, KAS, agentk and cluster alike) spends per small GET on each path.
// Also thread-pool work items, allocated bytes and gen0/gen2 collections per GET: where that CPU time goes.
var cpuPerGet = new Dictionary<string, (double CpuMs, double WorkItems, double AllocatedKb, double Gen0, double Gen2)>();
foreach (var (name, client) in paths)
{
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var workItems = ThreadPool.CompletedWorkItemCount;
    var allocated = GC.GetTotalAllocatedBytes(precise: false);
    var (gen0, gen2) = (GC.CollectionCount(0), GC.CollectionCount(2));
    var n = Math.Max(100, gets / 4);
    for (var i = 0; i < n; i++)
    {
        await TimeGetAsync(client, SmallPath);
    }

    cpuPerGet[name] = (
        (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / n,
        (double)(ThreadPool.CompletedWorkItemCount - workItems) / n,
        (GC.GetTotalAllocatedBytes(precise: false) - allocated) / 1024.0 / n,
        (double)(GC.CollectionCount(0) - gen0) / n,
        (double)(GC.CollectionCount(2) - gen2) / n);
}

Console.WriteLine("small GETs done");

// Large LIST throughput, round by round, rotating which path goes first.
var rates = paths.ToDictionary(p => p.Name, _ => new List<(double Rate, double CpuMsPerMb, double WorkItemsPerMb)>());
if (listMb > 0)
{
    // One untimed round per path first: the LIST code paths get compiled to their final tier like the GET ones.
    foreach (var (_, client) in paths)
    {
        await ListRateAsync(client);
    }

    for (var round = 0; round < rounds; round++)
    {
        for (var k = 0; k < paths.Length; k++)
        {
            var (name, client) = paths[(round + k) % paths.Length];
            rates[name].Add(await ListRateAsync(client));
        }

        await TouchWatchedAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"LIST round {round + 1}: direct {rates["direct"][^1].Rate:0} MB/s, through KAS {rates["kas"][^1].Rate:0} MB/s, through a bare proxy {rates["proxy"][^1].Rate:0} MB/s"));
    }
}

// Every watch must still be open and have seen every event.
var deadline = Stopwatch.StartNew();
while (deadline.Elapsed < TimeSpan.FromSeconds(30) && watchers.Any(w => w.Events < events && w.EndedBecause is null))
{
    await Task.Delay(100);
}

var incomplete = watchers.Where(w => w.EndedBecause is not null || w.Events < events).ToList();
var missedEvents = watchers.Sum(w => Math.Max(0, events - w.Events));
foreach (var reason in incomplete.Select(w => w.EndedBecause ?? $"saw {w.Events} of {events} events").Distinct().Take(5))
{
    Console.WriteLine($"incomplete watch: {reason}");
}

foreach (var w in watchers)
{
    await w.StopAsync();
    w.Dispose();
}

Console.WriteLine();
Console.WriteLine($"Transport {transport}: kubectl-style client -> KAS /k8s-proxy (TLS, HTTP/2) -> {transport} tunnel -> agentk -> test cluster, versus client -> test cluster");
Console.WriteLine();
Console.WriteLine("| Measurement | Direct | Through KAS | Ratio | Target | Result |");
Console.WriteLine("|---|---|---|---|---|---|");
Row($"small GET p50 (ms, n={gets})", P(times["direct"], 0.50), P(times["kas"], 0.50), "KAS/direct <= 1.5", r => r <= 1.5);
Row($"small GET p99 (ms, n={gets})", P(times["direct"], 0.99), P(times["kas"], 0.99), "KAS/direct <= 1.5", r => r <= 1.5);
Info("small GET CPU time (ms per request, all components)", cpuPerGet["direct"].CpuMs, cpuPerGet["kas"].CpuMs);
Info("small GET thread-pool work items (per request)", cpuPerGet["direct"].WorkItems, cpuPerGet["kas"].WorkItems);
Info("small GET allocations (KB per request)", cpuPerGet["direct"].AllocatedKb, cpuPerGet["kas"].AllocatedKb);
Info("small GET gen0 collections (per 1000 requests)", cpuPerGet["direct"].Gen0 * 1000, cpuPerGet["kas"].Gen0 * 1000);
if (listMb > 0)
{
    Row($"{listMb} MB LIST (MB/s, best of {rounds})", rates["direct"].Max(r => r.Rate), rates["kas"].Max(r => r.Rate), "KAS/direct >= 0.5", r => r >= 0.5);
    Info("LIST CPU time (ms per MB, all components, median)", Median(rates["direct"].Select(r => r.CpuMsPerMb)), Median(rates["kas"].Select(r => r.CpuMsPerMb)));
    Info("LIST thread-pool work items (per MB, median)", Median(rates["direct"].Select(r => r.WorkItemsPerMb)), Median(rates["kas"].Select(r => r.WorkItemsPerMb)));
}

// The peer: the same measurements through a bare YARP reverse proxy (one hop where KAS's path has two).
Info("peer: small GET p50 via a bare reverse proxy (ms)", P(times["direct"], 0.50), P(times["proxy"], 0.50));
Info("peer: small GET p99 via a bare reverse proxy (ms)", P(times["direct"], 0.99), P(times["proxy"], 0.99));
Info("peer: small GET CPU time via a bare reverse proxy (ms per request)", cpuPerGet["direct"].CpuMs, cpuPerGet["proxy"].CpuMs);
Info("peer: small GET thread-pool work items via a bare reverse proxy (per request)", cpuPerGet["direct"].WorkItems, cpuPerGet["proxy"].WorkItems);
if (listMb > 0)
{
    Info($"peer: {listMb} MB LIST via a bare reverse proxy (MB/s, best of {rounds})", rates["direct"].Max(r => r.Rate), rates["proxy"].Max(r => r.Rate));
    Info("peer: LIST CPU time via a bare reverse proxy (ms per MB, median)", Median(rates["direct"].Select(r => r.CpuMsPerMb)), Median(rates["proxy"].Select(r => r.CpuMsPerMb)));
    Info("peer: LIST thread-pool work items via a bare reverse proxy (per MB, median)", Median(rates["direct"].Select(r => r.WorkItemsPerMb)), Median(rates["proxy"].Select(r => r.WorkItemsPerMb)));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| {watches} watches held through KAS, {events} events each | - | {watches - incomplete.Count} complete, {incomplete.Count} incomplete, {missedEvents} events missed | - | 0 missed | {(missedEvents == 0 && incomplete.Count == 0 ? "PASS" : "MISS")} |"));
return 0;

static void Row(string name, double direct, double viaKas, string target, Func<double, bool> pass)
{
    var ratio = viaKas / direct;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {direct:0.00} | {viaKas:0.00} | {ratio:0.00} | {target} | {(pass(ratio) ? "PASS" : "MISS")} |"));
}

static void Info(string name, double direct, double viaKas) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {direct:0.00} | {viaKas:0.00} | {(direct > 0 ? (viaKas / direct).ToString("0.00", CultureInfo.InvariantCulture) : "-")} | (info) | - |"));

static double Median(IEnumerable<double> values) => P(values.ToList(), 0.5);

static double P(List<double> values, double p) =>
    values.Order().ElementAt((int)Math.Clamp(Math.Ceiling(p * values.Count) - 1, 0, values.Count - 1));

static async Task<double> TimeGetAsync(HttpClient client, string path)
{
    var started = Stopwatch.GetTimestamp();
    using var response = await client.GetAsync(path.TrimStart('/'), HttpCompletionOption.ResponseContentRead);
    if (!response.IsSuccessStatusCode)
    {
        throw new HttpRequestException($"GET {client.BaseAddress}{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}

static async Task<(double Rate, double CpuMsPerMb, double WorkItemsPerMb)> ListRateAsync(HttpClient client)
{
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var workItems = ThreadPool.CompletedWorkItemCount;
    var started = Stopwatch.GetTimestamp();
    using var response = await client.GetAsync(ListPath.TrimStart('/'), HttpCompletionOption.ResponseHeadersRead);
    if (!response.IsSuccessStatusCode)
    {
        throw new HttpRequestException($"LIST {client.BaseAddress}{ListPath}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    await using var body = await response.Content.ReadAsStreamAsync();
    var buffer = new byte[64 * 1024];
    long total = 0;
    int read;
    while ((read = await body.ReadAsync(buffer)) > 0)
    {
        total += read;
    }

    var megabytes = total / 1e6;
    return (
        megabytes / Stopwatch.GetElapsedTime(started).TotalSeconds,
        (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / megabytes,
        (ThreadPool.CompletedWorkItemCount - workItems) / megabytes);
}

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
