using System.Diagnostics;
using System.Text;
using Gitlab.Agent.GitOps;
using Gitlab.Agent.GitOps.Agent;
using Gitlab.Agent.GitOps.Bench;
using Gitlab.Agent.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

// GitOps benchmark: ratios against kubectl measured in the same run, on the same in-process test cluster.
//   dotnet run -c Release --project bench/Gitlab.Agent.GitOps.Bench [-- objects=1000 runs=3]
var objects = Arg("objects", 1000);
var runs = Arg("runs", 3);
var parallelism = Arg("parallelism", 16);
var files = ManifestGenerator.Generate(objects, 10);
var dir = Directory.CreateTempSubdirectory("gitops-bench-");
foreach (var (name, content) in files)
{
    await File.WriteAllTextAsync(Path.Combine(dir.FullName, name), content);
}

Console.WriteLine($"GitOps benchmark: {objects} objects (Namespace, ConfigMap, Secret, Service, ServiceAccount, Deployment) in {files.Count} files, {runs} runs, {Environment.ProcessorCount} cores");

// Warm-up (JIT) on a throw-away cluster: agentk is a long-running process, kubectl a native binary.
await using (var warmCluster = await KubernetesApiServer.StartAsync())
{
    using var warmKubernetes = warmCluster.CreateClient();
    var warmClient = new KubernetesDynamicClient(warmKubernetes);
    var warmEngine = new SyncEngine(warmClient, new ObjectClaims(), Options.Create(new GitOpsAgentOptions()), TimeProvider.System, NullLogger<SyncEngine>.Instance);
    var warmState = new ProjectSyncState(new ManifestProjectSettings { ProjectPath = "warm/up" }, new InventoryStore(warmClient, "0-warmup", "default"));
    // Two full-size passes (create, then a changed generation) so the hot paths reach tiered-JIT steady state.
    await warmEngine.SyncAsync(warmState, new SyncBatch("w1", 1, [.. ManifestGenerator.Generate(objects, 10).Select(f => (f.Key, Encoding.UTF8.GetBytes(f.Value)))]), CancellationToken.None);
    await warmEngine.SyncAsync(warmState, new SyncBatch("w2", 1, [.. ManifestGenerator.Generate(objects, 10, "2").Select(f => (f.Key, Encoding.UTF8.GetBytes(f.Value)))]), CancellationToken.None);
}

var kubectlFirst = new List<double>();
var agentFirst = new List<double>();
var kubectlResync = new List<double>();
var agentResync = new List<double>();
var kubectlResyncWrites = new List<int>();
var agentResyncWrites = new List<int>();
for (var run = 0; run < runs; run++)
{
    // kubectl apply --server-side on a fresh cluster.
    await using (var cluster = await KubernetesApiServer.StartAsync())
    {
        var sw = Stopwatch.StartNew();
        await Kubectl(cluster, dir.FullName);
        kubectlFirst.Add(sw.Elapsed.TotalSeconds);
        cluster.Requests.Reset();
        sw.Restart();
        await Kubectl(cluster, dir.FullName);
        kubectlResync.Add(sw.Elapsed.TotalSeconds);
        kubectlResyncWrites.Add(cluster.Requests.WriteCount);
    }

    // The agentk sync engine on a fresh cluster.
    await using (var cluster = await KubernetesApiServer.StartAsync())
    {
        using var kubernetes = cluster.CreateClient();
        var client = new KubernetesDynamicClient(kubernetes);
        var engine = new SyncEngine(client, new ObjectClaims(), Options.Create(new GitOpsAgentOptions { ApplyParallelism = parallelism }), TimeProvider.System, NullLogger<SyncEngine>.Instance);
        var settings = new ManifestProjectSettings { ProjectPath = "bench/manifests" };
        var state = new ProjectSyncState(settings, new InventoryStore(client, $"1-{ManifestProjectSettings.ProjectHash(settings.ProjectPath)}", "default"));
        var batch = new SyncBatch("c1", 1, [.. files.Select(f => (f.Key, Encoding.UTF8.GetBytes(f.Value)))]);
        var sw = Stopwatch.StartNew();
        var outcome = await engine.SyncAsync(state, batch, CancellationToken.None);
        agentFirst.Add(sw.Elapsed.TotalSeconds);
        Check(outcome, GitOpsObjectResult.Applied, objects);
        cluster.Requests.Reset();
        sw.Restart();
        outcome = await engine.SyncAsync(state, batch, CancellationToken.None);
        agentResync.Add(sw.Elapsed.TotalSeconds);
        agentResyncWrites.Add(cluster.Requests.WriteCount);
        Check(outcome, GitOpsObjectResult.Unchanged, objects);
    }

    Console.WriteLine($"  run {run + 1}: first sync kubectl {kubectlFirst[^1]:0.00}s / agentk {agentFirst[^1]:0.00}s; resync kubectl {kubectlResync[^1]:0.00}s ({kubectlResyncWrites[^1]} writes) / agentk {agentResync[^1]:0.00}s ({agentResyncWrites[^1]} writes)");
}

Console.WriteLine();
Console.WriteLine($"1) first sync of {objects} objects: kubectl apply --server-side median {Median(kubectlFirst):0.00}s, agentk median {Median(agentFirst):0.00}s => agentk is {Median(kubectlFirst) / Median(agentFirst):0.0}x faster (target >= 3x)");
Console.WriteLine($"2) resync with nothing changed: agentk {agentResyncWrites.Max()} write requests (target 0), median {Median(agentResync):0.00}s; kubectl re-apply {kubectlResyncWrites.Max()} writes, median {Median(kubectlResync):0.00}s => {Median(kubectlResync) / Median(agentResync):0.0}x");

var latencies = await CommitLatency.MeasureAsync(Arg("samples", 20));
var ordered = latencies.Order().ToList();
Console.WriteLine($"3) commit -> applied with push notification ({latencies.Count} commits): p50 {Percentile(ordered, 0.50):0} ms, p95 {Percentile(ordered, 0.95):0} ms, max {ordered[^1]:0} ms (target p50 <= 1000 ms)");
dir.Delete(recursive: true);
return 0;

static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

static async Task Kubectl(KubernetesApiServer cluster, string dir)
{
    var start = new ProcessStartInfo("kubectl", ["apply", "--server-side", "--field-manager=kubectl-bench", "-f", dir, "--kubeconfig", cluster.KubeconfigPath])
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
    };
    using var process = Process.Start(start)!;
    var stdout = process.StandardOutput.ReadToEndAsync();
    var stderr = process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"kubectl failed ({process.ExitCode}): {await stderr}");
    }

    _ = await stdout;
}

static void Check(SyncOutcome outcome, GitOpsObjectResult expected, int count)
{
    var matching = outcome.Objects.Count(o => o.Result == expected);
    if (matching != count)
    {
        var other = outcome.Objects.FirstOrDefault(o => o.Result != expected);
        throw new InvalidOperationException($"expected {count} {expected} objects, got {matching}; e.g. {other}");
    }
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted[sorted.Count / 2];
}

int Arg(string name, int fallback) =>
    args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2 && p[0] == name).Select(p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(fallback).First();
