using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Cilium.Agent;
using Gitlab.Agent.Cilium.Alerts;
using Gitlab.Agent.Cilium.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using static Gitlab.Agent.Cilium.Tests.TestData;

namespace Gitlab.Agent.Cilium.Tests.Agent;

public class AlertDeliveryQueueTests
{
    private readonly FakeGitlabAccessClient _gitlab = new();
    private readonly AlertLossCounter _losses = new();
    private readonly CiliumAlertStats _stats = new();

    private AlertDeliveryQueue Create(int capacity) => new(
        _gitlab,
        new CiliumAgentOptions { DeliveryQueueCapacity = capacity, DeliveryRetryInitialDelay = TimeSpan.FromMilliseconds(20), DeliveryRetryMaxDelay = TimeSpan.FromMilliseconds(100) },
        TimeProvider.System,
        _losses,
        _stats,
        NullLogger.Instance);

    private static AlertToSend Alert(string fingerprint, long count)
    {
        var flow = Flow("ingress-policy-denied.jsonl");
        var time = flow.Time.ToDateTimeOffset();
        return new AlertToSend(fingerprint, Policy("db-ingress", DbIngressSpec), flow, count, time, time.AddSeconds(1));
    }

    [Fact]
    public async Task Alerts_beyond_the_bound_are_dropped_counted_and_reported_with_the_next_delivered_alert()
    {
        var kasUp = false;
        _gitlab.Respond = _ => Volatile.Read(ref kasUp) ? new GitlabAccessResponse(204, default) : throw new RpcException(new Status(StatusCode.Unavailable, "down"));
        var queue = Create(capacity: 2);
        using var stop = new CancellationTokenSource();
        var run = queue.RunAsync(stop.Token);

        queue.Enqueue(Alert("a", 1));
        await Eventually.WaitAsync(() => !_gitlab.Attempts.IsEmpty, "first alert in flight");
        queue.Enqueue(Alert("b", 2));
        queue.Enqueue(Alert("c", 3));
        queue.Enqueue(Alert("d", 40));
        queue.Enqueue(Alert("e", 500));
        Assert.Equal(2, _losses.Alerts);
        Assert.Equal(540, _losses.Flows);

        Volatile.Write(ref kasUp, true);
        await Eventually.WaitAsync(() => _gitlab.Accepted.Count == 3, "the three queued alerts delivered");
        var alerts = _gitlab.AcceptedAlerts;
        Assert.Equal(["a", "b", "c"], alerts.Select(a => a.GetProperty("fingerprint").GetString()));
        Assert.Equal([2L, 0L, 0L], alerts.Select(a => a.GetProperty("dropped").GetInt64()));
        Assert.Equal([540L, 0L, 0L], alerts.Select(a => a.GetProperty("dropped_flows").GetInt64()));
        Assert.Equal(0, _losses.Alerts);
        Assert.Equal(0, queue.Count);

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Rejected_alerts_are_not_retried_and_server_errors_are()
    {
        _gitlab.Respond = attempt => attempt switch
        {
            1 => new GitlabAccessResponse(400, """{"message":"alert.flow: required object is missing"}"""u8.ToArray()),
            2 or 3 => new GitlabAccessResponse(attempt == 2 ? 500 : 429, default),
            _ => new GitlabAccessResponse(200, default),
        };
        var queue = Create(capacity: 10);
        using var stop = new CancellationTokenSource();
        var run = queue.RunAsync(stop.Token);

        queue.Enqueue(Alert("rejected", 1));
        queue.Enqueue(Alert("retried", 1));
        await Eventually.WaitAsync(() => _gitlab.Accepted.Count == 1, "second alert delivered");

        Assert.Equal(["rejected", "retried", "retried", "retried"], _gitlab.Attempts.Select(a => a.Json.GetProperty("alert").GetProperty("fingerprint").GetString()));
        Assert.Equal(1, _stats.AlertsRejected);
        Assert.Equal(2, _stats.DeliveryFailures);

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Protocol_errors_from_the_kas_connection_are_retried()
    {
        _gitlab.Respond = attempt => attempt == 1 ? throw new InvalidOperationException("KAS ended the response without a header") : new GitlabAccessResponse(200, default);
        var queue = Create(capacity: 10);
        using var stop = new CancellationTokenSource();
        var run = queue.RunAsync(stop.Token);
        queue.Enqueue(Alert("a", 1));
        await Eventually.WaitAsync(() => _gitlab.Accepted.Count == 1, "alert delivered after a protocol error");
        await stop.CancelAsync();
        await run;
    }
}
