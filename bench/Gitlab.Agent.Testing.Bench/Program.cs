// Throughput of the in-process Kubernetes API server (Release build):
//   dotnet run -c Release --project bench/Gitlab.Agent.Testing.Bench [-- --seconds 5 --concurrency 16 --watchers 20 --scenario all]
// Scenarios: creates, updates, server (clients in a child process), applies, watch, or all. Each HTTPS figure is reported with a ratio against a peer
// measured in the same run: the server's own write path called in-process on one thread (no HTTP, no TLS, no JSON over
// the wire). "CPU µs/op" is the process CPU time (clients, server and GC together) per operation: unlike the rate it
// depends less on what else the machine runs; "KiB/op" (managed allocations per operation) not at all. The machine's
// load average is printed before and after, since the build machine is shared: with a load above the core count the
// rates measure the share of the machine the run got, not the server.
using System.Globalization;
using Gitlab.Agent.Testing;
using Gitlab.Agent.Testing.Bench;

if (args is ["--client", ..])
{
    return await ClientProcess.ClientMainAsync(args);
}

var seconds = 5.0;
var concurrency = 16;
var watchers = 20;
var scenario = "all";
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--concurrency": concurrency = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--watchers": watchers = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--scenario": scenario = args[i + 1]; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

bool Runs(string name) => scenario == "all" || scenario == name;

var loadBefore = Scenarios.LoadAverage();
await using var cluster = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { RunControllers = false });
var duration = TimeSpan.FromSeconds(seconds);
var warmUp = TimeSpan.FromSeconds(1);
var rows = new List<(string Name, double Value, string Unit, double? Peer, Rate? Cost)>();
var best = new Dictionary<string, double>(StringComparer.Ordinal); // best HTTPS writes/s per operation
if (scenario == "probe")
{
    AllocProbe.Run(cluster);
    return 0;
}

// HTTPS writes over HTTP/1.1 (KubernetesClient's protocol, one connection per client) and HTTP/2 (kubectl's: one
// connection, one stream per request in flight), each against the in-process peer.
async Task<double> WritesAsync(string what, string unit, Func<TimeSpan, Rate> inProcessRun, Func<TimeSpan, Task<Rate>> httpRun)
{
    inProcessRun(warmUp);
    var inProcess = inProcessRun(duration);
    rows.Add(($"{what} (in-process writer, peer)", inProcess.PerSecond, unit, null, inProcess));
    var best = 0.0;
    foreach (var http2 in new[] { false, true })
    {
        Scenarios.Http2 = http2;
        await httpRun(warmUp);
        var http = await httpRun(duration);
        rows.Add(($"{what} (HTTPS {(http2 ? "HTTP/2" : "HTTP/1.1")}, {concurrency} clients)", http.PerSecond, unit, inProcess.PerSecond, http));
        best = Math.Max(best, http.PerSecond);
    }

    Scenarios.Http2 = false;
    return best;
}

if (Runs("creates"))
{
    var rate = await WritesAsync("create ConfigMap", "writes/s", d => Scenarios.InProcessCreates(cluster, d), d => Scenarios.HttpCreatesAsync(cluster, d, concurrency));
    best["creates"] = Math.Max(best.GetValueOrDefault("creates"), rate);
}

if (Runs("updates"))
{
    var rate = await WritesAsync("update ConfigMap", "writes/s", d => Scenarios.InProcessUpdates(cluster, d), d => Scenarios.HttpUpdatesAsync(cluster, d, concurrency));
    best["updates"] = Math.Max(best.GetValueOrDefault("updates"), rate);
}

// The same writes with the clients in a separate process: the CPU and allocation columns are then the server's alone,
// and 2 cores divided by the server's CPU per write is its capacity on this machine whatever the clients cost.
if (Runs("server"))
{
    foreach (var operation in new[] { "creates", "updates" })
    {
        foreach (var http2 in new[] { false, true })
        {
            var rate = await ClientProcess.RunAsync(cluster, operation, concurrency, duration, http2);
            var what = operation == "creates" ? "create" : "update";
            rows.Add(($"{what} ConfigMap (clients in another process, {(http2 ? "HTTP/2" : "HTTP/1.1")})", rate.PerSecond, "writes/s", null, rate));
            best[operation] = Math.Max(best.GetValueOrDefault(operation), rate.PerSecond);
        }
    }
}

if (Runs("applies"))
{
    Scenarios.InProcessApplies(cluster, warmUp);
    await Scenarios.HttpAppliesAsync(cluster, warmUp, concurrency);
    var inProcess = Scenarios.InProcessApplies(cluster, duration);
    var http = await Scenarios.HttpAppliesAsync(cluster, duration, concurrency);
    rows.Add(("server-side apply (in-process writer, peer)", inProcess.PerSecond, "applies/s", null, inProcess));
    rows.Add(($"server-side apply (HTTPS, {concurrency} clients)", http.PerSecond, "applies/s", inProcess.PerSecond, http));
}

if (Runs("watch"))
{
    var (events, writes) = await Scenarios.WatchFanOutAsync(cluster, duration, watchers, concurrency);
    rows.Add(($"watch fan-out ({watchers} watchers) writes", writes, "writes/s", null, null));
    rows.Add(($"watch fan-out ({watchers} watchers) events delivered", events, "events/s", writes * watchers, null));
}

Console.WriteLine();
Console.WriteLine($"{"scenario",-56} {"rate",12} {"unit",-10} {"vs peer",8} {"CPU µs/op",10} {"KiB/op",8} {"GC pause",9}");
Console.WriteLine(new string('-', 120));
foreach (var (name, value, unit, peer, cost) in rows)
{
    var ratio = peer is { } p && p > 0 ? (value / p).ToString("0.00", CultureInfo.InvariantCulture) : "";
    var cpuText = cost is { } c ? c.CpuMicrosPerOp.ToString("N0", CultureInfo.InvariantCulture) : "";
    var allocText = cost is { } a ? a.AllocatedKbPerOp.ToString("N1", CultureInfo.InvariantCulture) : "";
    var gcText = cost is { } g ? g.GcPausePercent.ToString("0", CultureInfo.InvariantCulture) + " %" : "";
    Console.WriteLine($"{name,-56} {value,12:N0} {unit,-10} {ratio,8} {cpuText,10} {allocText,8} {gcText,9}");
}

Console.WriteLine();
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {seconds:0.#} s per scenario");
Console.WriteLine($"load average before: {loadBefore}, after: {Scenarios.LoadAverage()}");
var failed = best.Values.Any(v => v < 5000);
if (best.Count > 0)
{
    Console.WriteLine(string.Join(", ", best.Select(p => $"best HTTPS {p.Key}: {p.Value:N0} writes/s")) + (failed
        ? " - target (5,000 writes/s) NOT met; compare the load average with the core count"
        : " - target (5,000 writes/s) met"));
}

return failed ? 1 : 0;
