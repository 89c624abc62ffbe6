using System.Diagnostics;
using Gitlab.Agent.Cilium;
using Gitlab.Agent.Cilium.Alerts;
using Gitlab.Agent.Cilium.Bench;
using Gitlab.Agent.Cilium.Policies;
using Gitlab.Agent.Protocol.Cilium.Flow;

// Agent-side Cilium alert throughput: flow classification + policy matching + fingerprint + de-duplication, against a
// peer measured in the same run: protobuf parsing of the same flows (the cost every received flow has anyway).
//   dotnet run -c Release --project bench/Gitlab.Agent.Cilium.Bench [-- flows=1000000 distinct=500 runs=3]
var total = Arg("flows", 1_000_000);
var distinct = Arg("distinct", 500);
var runs = Arg("runs", 3);
const int Batch = 100_000;

var snapshot = FlowMix.Policies();
var start = DateTimeOffset.UtcNow;
var batch = FlowMix.Serialized(Batch, distinct, start);
var flows = batch.Select(b => Flow.Parser.ParseFrom(b)).ToArray();
Console.WriteLine($"Cilium alert benchmark: {total:N0} flows per run (a batch of {Batch:N0} replayed), {distinct} distinct communications, {snapshot.Count} alert policies in {FlowMix.Namespaces} namespaces, {runs} runs, {Environment.ProcessorCount} cores, .NET {Environment.Version}");

var time = new BenchTimeProvider();
var options = new CiliumAgentOptions { AggregationWindow = TimeSpan.FromSeconds(10), MaxPendingAlerts = 10_000, AlertBurstPerPolicy = 1_000_000, AlertsPerMinutePerPolicy = 1_000_000 };

// Warm-up (JIT) on both sides.
Measure(flows, snapshot, new AlertAggregator(options, time, new AlertLossCounter()), time, Batch);
Parse(batch, Batch);

GC.Collect();
GC.WaitForPendingFinalizers();
GC.Collect();
var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
var ours = new List<double>();
var peer = new List<double>();
var alerts = 0L;
var alertFlows = 0L;
var decisions = new long[Enum.GetValues<FlowDecision>().Length];
var allocatedPerFlow = 0.0;
var gen0 = GC.CollectionCount(0);
var gen2 = GC.CollectionCount(2);
for (var run = 0; run < runs; run++)
{
    peer.Add(Parse(batch, total));
    var aggregator = new AlertAggregator(options, time, new AlertLossCounter());
    var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    var (seconds, sent, counted) = Measure(flows, snapshot, aggregator, time, total, decisions);
    allocatedPerFlow = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (double)total;
    ours.Add(seconds);
    alerts = sent;
    alertFlows = counted;
}

var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
var oursRate = total / Median(ours);
var peerRate = total / Median(peer);
Console.WriteLine();
Console.WriteLine($"match + fingerprint + dedup : {oursRate,12:N0} flows/s (median of {runs}; {string.Join(", ", ours.Select(s => $"{s:F2} s"))})");
Console.WriteLine($"protobuf parse (peer)       : {peerRate,12:N0} flows/s (median of {runs}; {string.Join(", ", peer.Select(s => $"{s:F2} s"))})");
Console.WriteLine($"ratio ours/peer             : {oursRate / peerRate,12:F2}");
Console.WriteLine($"alerts per run              : {alerts:N0} carrying {alertFlows:N0} flows");
Console.WriteLine($"decisions (all runs)        : {string.Join(", ", Enum.GetValues<FlowDecision>().Select(d => $"{d}={decisions[(int)d]:N0}"))}");
Console.WriteLine($"allocated per flow          : {allocatedPerFlow,12:F0} bytes (last run)");
Console.WriteLine($"GC heap before / after      : {heapBefore / 1024.0 / 1024.0:F1} MiB / {heapAfter / 1024.0 / 1024.0:F1} MiB (after {runs} x {total:N0} flows; gen0 {GC.CollectionCount(0) - gen0}, gen2 {GC.CollectionCount(2) - gen2} collections)");
Console.WriteLine(oursRate >= 100_000 ? "target >= 100,000 flows/s: met" : "target >= 100,000 flows/s: NOT met");

static (double Seconds, long Alerts, long Flows) Measure(Flow[] flows, CiliumPolicySnapshot snapshot, AlertAggregator aggregator, BenchTimeProvider time, int total, long[]? decisions = null)
{
    long alerts = 0, counted = 0;
    var sw = Stopwatch.StartNew();
    for (var i = 0; i < total; i++)
    {
        var flow = flows[i % flows.Length];
        var match = FlowPolicyMatcher.Match(flow, snapshot, projectId: 42);
        if (decisions is not null)
        {
            decisions[(int)match.Decision]++;
        }

        if (match.Decision == FlowDecision.Alert)
        {
            var policy = match.Policy!;
            aggregator.Add(AlertFingerprint.ComputeKey(flow, policy.Namespace, policy.Name), policy, flow, flow.Time.ToDateTimeOffset());
        }

        // One flush per simulated second (10,000 flows), the aggregation window being 10 s.
        if (i % 10_000 == 9_999)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            foreach (var alert in aggregator.TakeDue())
            {
                alerts++;
                counted += alert.Count;
            }
        }
    }

    return (sw.Elapsed.TotalSeconds, alerts, counted);
}

static double Parse(byte[][] batch, int total)
{
    var sw = Stopwatch.StartNew();
    var sink = 0u;
    for (var i = 0; i < total; i++)
    {
        sink += Flow.Parser.ParseFrom(batch[i % batch.Length]).Destination.Identity;
    }

    GC.KeepAlive(sink);
    return sw.Elapsed.TotalSeconds;
}

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

int Arg(string name, int fallback) =>
    args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2 && p[0] == name).Select(p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(fallback).First();

/// <summary>A clock the benchmark moves: one simulated second per 10,000 flows.</summary>
internal sealed class BenchTimeProvider : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UnixEpoch.AddTicks(GetTimestamp());

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
