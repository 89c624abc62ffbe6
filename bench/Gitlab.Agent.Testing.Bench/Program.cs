// Throughput of the in-process Kubernetes API server (Release build):
//   dotnet run -c Release --project bench/Gitlab.Agent.Testing.Bench [-- --seconds 5 --concurrency 32 --watchers 20]
// Each HTTP figure is reported with a ratio against a peer measured in the same run: the server's own write
// path called in-process (no HTTP, no TLS, no JSON over the wire), which is the ceiling the HTTP layer can reach.
using System.Diagnostics;
using System.Globalization;
using Gitlab.Agent.Testing;
using Gitlab.Agent.Testing.Bench;

var seconds = 5.0;
var concurrency = 32;
var watchers = 20;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--concurrency": concurrency = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--watchers": watchers = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

await using var cluster = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { RunControllers = false });
var duration = TimeSpan.FromSeconds(seconds);
var rows = new List<(string Name, double Value, string Unit, double? Peer)>();

// Warm-up (JIT, connection pools) so the measured runs compare steady states.
Scenarios.InProcessCreates(cluster, TimeSpan.FromSeconds(1));
Scenarios.InProcessApplies(cluster, TimeSpan.FromSeconds(1));
await Scenarios.HttpCreatesAsync(cluster, TimeSpan.FromSeconds(1), concurrency);
await Scenarios.HttpAppliesAsync(cluster, TimeSpan.FromSeconds(1), concurrency);

var inProcessCreates = Scenarios.InProcessCreates(cluster, duration);
var httpCreates = await Scenarios.HttpCreatesAsync(cluster, duration, concurrency);
rows.Add(("create ConfigMap (in-process writer, peer)", inProcessCreates, "writes/s", null));
rows.Add(($"create ConfigMap (HTTPS JSON, {concurrency} in flight)", httpCreates, "writes/s", inProcessCreates));

var inProcessApplies = Scenarios.InProcessApplies(cluster, duration);
var httpApplies = await Scenarios.HttpAppliesAsync(cluster, duration, concurrency);
rows.Add(("server-side apply (in-process writer, peer)", inProcessApplies, "applies/s", null));
rows.Add(($"server-side apply (HTTPS, {concurrency} in flight)", httpApplies, "applies/s", inProcessApplies));

var (events, writes) = await Scenarios.WatchFanOutAsync(cluster, duration, watchers, concurrency);
rows.Add(($"watch fan-out ({watchers} watchers) writes", writes, "writes/s", null));
rows.Add(($"watch fan-out ({watchers} watchers) events delivered", events, "events/s", writes * watchers));

Console.WriteLine();
Console.WriteLine($"{"scenario",-52} {"rate",12} {"unit",-10} {"vs peer",8}");
Console.WriteLine(new string('-', 86));
foreach (var (name, value, unit, peer) in rows)
{
    var ratio = peer is { } p && p > 0 ? (value / p).ToString("0.00", CultureInfo.InvariantCulture) : "";
    Console.WriteLine($"{name,-52} {value,12:N0} {unit,-10} {ratio,8}");
}

Console.WriteLine();
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {seconds:0.#} s per scenario");
return httpCreates >= 5000 ? 0 : 1;
