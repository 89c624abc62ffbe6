// Configuration propagation: time from `git push` (through a real git daemon) until an agentk module sees the new
// agent configuration, through a real KAS. Two runs in the same process: with a push notification (POST /-/refresh)
// and with polling only (KAS configuration and repository poll period 1 s).
//
//   dotnet run -c Release --project bench/Gitlab.Agent.ConfigPropagation.Bench [-- --commits 50]
using System.Diagnostics;
using System.Globalization;
using Gitlab.Agent.IntegrationTests.Infrastructure;

var commits = args.Length == 2 && args[0] == "--commits" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50;
const int Warmup = 3;
var pushPollPeriod = TimeSpan.FromSeconds(20);
var pollingPeriod = TimeSpan.FromSeconds(1);

Console.WriteLine($"Configuration propagation: {commits} commits per run (+{Warmup} warm-up), git daemon -> KAS -> agentk on 127.0.0.1");
var push = await RunAsync("push notification", pushPollPeriod, notify: true, commits);
var polling = await RunAsync("polling only", pollingPeriod, notify: false, commits);

Console.WriteLine();
Console.WriteLine($"| run | KAS poll period | commits | git push p50 | propagation p50 | p95 | max | mean |");
Console.WriteLine($"|---|---|---|---|---|---|---|---|");
foreach (var r in new[] { push, polling })
{
    Console.WriteLine($"| {r.Name} | {r.PollPeriod.TotalSeconds:0} s | {r.Samples.Count} | {Percentile(r.PushTimes, 50):0} ms | {Percentile(r.Samples, 50):0} ms | {Percentile(r.Samples, 95):0} ms | {r.Samples.Max():0} ms | {r.Samples.Average():0} ms |");
}

var ratio = Percentile(polling.Samples, 50) / Percentile(push.Samples, 50);
Console.WriteLine();
Console.WriteLine($"push p50 is {ratio:0.0}x faster than polling p50 (target: push p50 <= 200 ms: {(Percentile(push.Samples, 50) <= 200 ? "met" : "NOT met")})");
return 0;

static async Task<(string Name, TimeSpan PollPeriod, List<double> Samples, List<double> PushTimes)> RunAsync(string name, TimeSpan pollPeriod, bool notify, int commits)
{
    Console.Write($"{name,-18}: ");
    await using var environment = await ConfigPropagationEnvironment.StartAsync(pollPeriod, ConfigPropagationEnvironment.Config("ns-0"));
    await environment.StartAgentAsync();
    await Expect(environment, "ns-0");
    var samples = new List<double>();
    var pushTimes = new List<double>();
    for (var i = 1; i <= commits + Warmup; i++)
    {
        var marker = $"ns-{i}";
        var before = Stopwatch.GetTimestamp();
        await environment.PushConfigAsync(ConfigPropagationEnvironment.Config(marker), $"commit {i}");
        var pushed = Stopwatch.GetTimestamp();
        if (notify)
        {
            await environment.NotifyPushAsync();
        }

        var observed = await Expect(environment, marker);
        if (i > Warmup)
        {
            samples.Add(Stopwatch.GetElapsedTime(pushed, observed.Timestamp).TotalMilliseconds);
            pushTimes.Add(Stopwatch.GetElapsedTime(before, pushed).TotalMilliseconds);
        }

        Console.Write('.');
    }

    Console.WriteLine();
    return (name, pollPeriod, samples, pushTimes);
}

static async Task<ObservedConfiguration> Expect(ConfigPropagationEnvironment environment, string marker)
{
    while (true)
    {
        var observed = await environment.Module.NextAsync(TimeSpan.FromSeconds(60));
        if (observed.Marker == marker)
        {
            return observed;
        }
    }
}

static double Percentile(List<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1;
    return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
}
