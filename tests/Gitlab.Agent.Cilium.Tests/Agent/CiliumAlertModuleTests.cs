using Gitlab.Agent.TestUtilities;
using System.Text.Json;
using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Cilium.Policies;
using Gitlab.Agent.Cilium.Tests.Infrastructure;
using Gitlab.Agent.Protocol.Cilium.Flow;
using Gitlab.Agent.Protocol.Cilium.Relay;
using Gitlab.Agent.Testing.Hubble;
using ManualTimeProvider = Gitlab.Agent.TestUtilities.ManualTimeProvider;
using Grpc.Core;
using static Gitlab.Agent.Cilium.Tests.TestData;

namespace Gitlab.Agent.Cilium.Tests.Agent;

public class CiliumAlertModuleTests
{
    private static StaticPolicyCache DefaultPolicies() => new(
        Policy("db-ingress", DbIngressSpec),
        Policy("api-l7", ApiL7Spec),
        Policy("web-egress", """{"endpointSelector":{"matchLabels":{"app":"web"}},"egress":[{"toEntities":["cluster"]}]}"""),
        Policy("deny-ssh", """{"endpointSelector":{"matchLabels":{"app":"db"}},"ingressDeny":[{"toPorts":[{"ports":[{"port":"22"}]}]}]}""", alert: false));

    [Fact]
    public async Task Follows_relay_from_now_asking_for_dropped_policy_verdict_and_l7_flows()
    {
        await using var relay = await HubbleRelayTestServer.StartAsync();
        var before = DateTimeOffset.UtcNow;
        await using var harness = new ModuleHarness(DefaultPolicies(), new FakeGitlabAccessClient());
        harness.Configure(relay.HubbleRelayAddress);
        await relay.WaitForRequestsAsync(1, Eventually.DefaultTimeout);

        var request = relay.Requests[0];
        Assert.True(request.Follow);
        Assert.Equal(0UL, request.Number);
        Assert.InRange(request.Since.ToDateTimeOffset(), before.AddSeconds(-1), DateTimeOffset.UtcNow);
        var filter = Assert.Single(request.Whitelist);
        Assert.Equal([Verdict.Dropped], filter.Verdict);
        Assert.Equal([5, 129], filter.EventType.Select(e => e.Type));
        Assert.Empty(request.Blacklist);
    }

    [Fact]
    public async Task Policy_denied_ingress_and_egress_flows_are_sent_in_gitlab_payload_shape()
    {
        await using var relay = await HubbleRelayTestServer.StartAsync();
        var gitlab = new FakeGitlabAccessClient();
        await using var harness = new ModuleHarness(DefaultPolicies(), gitlab);
        harness.Configure(relay.HubbleRelayAddress);
        await relay.WaitForRequestsAsync(1, Eventually.DefaultTimeout);

        relay.Publish(FlowFactory.Fixture("ingress-policy-denied.jsonl"));
        relay.Publish(FlowFactory.Fixture("egress-policy-denied.jsonl"));
        await Eventually.WaitAsync(() => gitlab.Accepted.Count >= 2, "two alerts delivered");

        var requests = gitlab.Accepted.ToList();
        Assert.All(requests, r => Assert.Equal(("cilium_alert", "POST", "/", "application/json"), (r.Module, r.Method, r.Path, r.Headers["Content-Type"])));
        var byPolicy = gitlab.AcceptedAlerts.ToDictionary(a => a.GetProperty("ciliumNetworkPolicy").GetProperty("metadata").GetProperty("name").GetString()!);

        var ingress = byPolicy["db-ingress"];
        var flow = ingress.GetProperty("flow");
        Assert.Equal("DROPPED", flow.GetProperty("verdict").GetString());
        Assert.Equal("POLICY_DENIED", flow.GetProperty("dropReasonDesc").GetString());
        Assert.Equal(133, flow.GetProperty("dropReason").GetInt32());
        Assert.Equal("INGRESS", flow.GetProperty("trafficDirection").GetString());
        Assert.Equal("L3_L4", flow.GetProperty("Type").GetString());
        Assert.Equal(5, flow.GetProperty("eventType").GetProperty("type").GetInt32());
        Assert.Equal(5432, flow.GetProperty("l4").GetProperty("TCP").GetProperty("destinationPort").GetInt32());
        Assert.Equal("db-0", flow.GetProperty("destination").GetProperty("podName").GetString());
        Assert.Equal("10.0.1.15", flow.GetProperty("IP").GetProperty("source").GetString());
        Assert.Equal("prod", ingress.GetProperty("ciliumNetworkPolicy").GetProperty("metadata").GetProperty("namespace").GetString());
        Assert.Equal("true", ingress.GetProperty("ciliumNetworkPolicy").GetProperty("metadata").GetProperty("annotations").GetProperty("app.gitlab.com/alert").GetString());
        Assert.Equal(1, ingress.GetProperty("count").GetInt64());
        Assert.Equal(0, ingress.GetProperty("dropped").GetInt64());
        Assert.Equal(40, ingress.GetProperty("fingerprint").GetString()!.Length);
        Assert.Equal(flow.GetProperty("time").GetDateTimeOffset(), ingress.GetProperty("first_seen").GetDateTimeOffset());

        Assert.Equal("EGRESS", byPolicy["web-egress"].GetProperty("flow").GetProperty("trafficDirection").GetString());
    }

    [Fact]
    public async Task Only_policy_drops_of_annotated_policies_alert_even_when_the_relay_does_not_filter()
    {
        var options = new HubbleRelayTestServerOptions { ApplyFilters = false };
        await using var relay = await HubbleRelayTestServer.StartAsync(options);
        var gitlab = new FakeGitlabAccessClient();
        await using var harness = new ModuleHarness(DefaultPolicies(), gitlab);
        harness.Configure(relay.HubbleRelayAddress);
        await relay.WaitForRequestsAsync(1, Eventually.DefaultTimeout);

        var noise = new List<Protocol.Cilium.Observer.GetFlowsResponse>();
        noise.AddRange(FlowFactory.Fixture("allowed.jsonl"));
        noise.AddRange(FlowFactory.Fixture("non-policy-drops.jsonl"));
        noise.AddRange(FlowFactory.Fixture("unknown-enums.jsonl").Take(4));
        noise.AddRange(FlowFactory.Fixture("missing-endpoints.jsonl"));
        noise.AddRange(FlowFactory.Fixture("explicit-deny.jsonl").Take(1)); // denied by the unannotated deny-ssh
        relay.Publish(noise);
        relay.Publish(new Protocol.Cilium.Observer.GetFlowsResponse()); // no oneof set
        relay.Publish(FlowFactory.Fixture("ingress-policy-denied.jsonl", DateTimeOffset.UtcNow.AddSeconds(1)));

        await Eventually.WaitAsync(() => !gitlab.Accepted.IsEmpty, "the alert of the marker flow");
        await Eventually.WaitAsync(() => harness.Stats.FlowsProcessed == noise.Count + 1, "every flow processed");
        await Task.Delay(harness.Options.AggregationWindow * 3);

        var alert = Assert.Single(gitlab.AcceptedAlerts);
        Assert.Equal("db-ingress", alert.GetProperty("ciliumNetworkPolicy").GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal(5, harness.Stats.Decisions(FlowDecision.NotDropped)); // 3 allowed + verdict 99 + VERDICT_UNKNOWN
        Assert.Equal(4, harness.Stats.Decisions(FlowDecision.NotPolicyDrop));
        Assert.Equal(1, harness.Stats.Decisions(FlowDecision.UnknownDirection));
        Assert.Equal(2, harness.Stats.Decisions(FlowDecision.MissingEndpoint));
        Assert.Equal(2, harness.Stats.Decisions(FlowDecision.NoAlertPolicy));
    }

    [Fact]
    public async Task L7_http_drops_alert_when_the_request_does_not_match_the_policy_http_rules()
    {
        await using var relay = await HubbleRelayTestServer.StartAsync();
        var gitlab = new FakeGitlabAccessClient();
        await using var harness = new ModuleHarness(DefaultPolicies(), gitlab);
        harness.Configure(relay.HubbleRelayAddress);
        await relay.WaitForRequestsAsync(1, Eventually.DefaultTimeout);

        relay.Publish(FlowFactory.Fixture("l7-http.jsonl"));
        await Eventually.WaitAsync(() => gitlab.Accepted.Count >= 3, "three L7 alerts");
        await Eventually.WaitAsync(() => harness.Stats.FlowsProcessed == 4, "four flows processed");
        await Task.Delay(harness.Options.AggregationWindow * 3);

        var urls = gitlab.AcceptedAlerts
            .Select(a => a.GetProperty("flow").GetProperty("l7").GetProperty("http"))
            .Select(h => $"{h.GetProperty("method").GetString()} {h.GetProperty("url").GetString()}")
            .Order()
            .ToList();
        Assert.Equal(
            ["DELETE http://api.prod.svc:8080/api/v1/items", "GET http://api.prod.svc:8080/admin/users?page=2", "GET http://api.prod.svc:8080/xapi/v1/items"],
            urls);
    }

    [Fact]
    public async Task Relay_restart_mid_stream_resumes_from_the_last_flow_without_duplicates()
    {
        await using var relay = await HubbleRelayTestServer.StartAsync();
        var gitlab = new FakeGitlabAccessClient();
        await using var harness = new ModuleHarness(DefaultPolicies(), gitlab);
        harness.Configure(relay.HubbleRelayAddress);
        await relay.WaitForRequestsAsync(1, Eventually.DefaultTimeout);

        var start = DateTimeOffset.UtcNow.AddSeconds(1);
        var first = FlowFactory.Repeats("ingress-policy-denied.jsonl", 3, start).ToList();
        relay.Publish(first);
        await Eventually.WaitAsync(() => harness.Stats.FlowsProcessed == 3, "first three flows processed");

        // The relay goes away mid-stream; its nodes keep their ring buffers, so it replays from "since".
        relay.FailStreams(StatusCode.Unavailable, "relay restarting");
        await relay.WaitForRequestsAsync(2, Eventually.DefaultTimeout);
        Assert.Equal(first[^1].Flow.Time, relay.Requests[1].Since);

        relay.Publish(FlowFactory.Repeats("ingress-policy-denied.jsonl", 2, start, firstIndex: 3));
        await Eventually.WaitAsync(() => harness.Stats.FlowsProcessed == 5, "all five flows processed");
        await Eventually.WaitAsync(() => gitlab.AcceptedAlerts.Sum(a => a.GetProperty("count").GetInt64()) == 5, "alerts for five flows");
        await Task.Delay(harness.Options.AggregationWindow * 3);

        Assert.Equal(5, gitlab.AcceptedAlerts.Sum(a => a.GetProperty("count").GetInt64()));
        Assert.Equal(1, harness.Stats.DuplicateFlows);
        Assert.Equal(6, harness.Stats.FlowsReceived);
    }

    [Fact]
    public async Task Normal_end_of_stream_corrupt_frames_and_failing_calls_lead_to_reconnects()
    {
        await using var relay = await HubbleRelayTestServer.StartAsync();
        var gitlab = new FakeGitlabAccessClient();
        await using var harness = new ModuleHarness(DefaultPolicies(), gitlab);
        harness.Configure(relay.HubbleRelayAddress);
        await relay.WaitForRequestsAsync(1, Eventually.DefaultTimeout);

        relay.EndStreams();
        await relay.WaitForRequestsAsync(2, Eventually.DefaultTimeout);

        relay.FailNextCalls(StatusCode.Unavailable, "no nodes", 2);
        relay.SendCorruptFrame();
        await relay.WaitForRequestsAsync(5, Eventually.DefaultTimeout);

        relay.Publish(FlowFactory.Fixture("ingress-policy-denied.jsonl"));
        await Eventually.WaitAsync(() => gitlab.Accepted.Count == 1, "the alert after the reconnects");
        Assert.Equal(5, relay.Requests.Count);
    }

    [Fact]
    public async Task Node_errors_and_lost_events_are_counted_and_the_stream_goes_on()
    {
        var options = new HubbleRelayTestServerOptions();
        options.UnavailableNodes.Add("node-9");
        await using var relay = await HubbleRelayTestServer.StartAsync(options);
        var gitlab = new FakeGitlabAccessClient();
        await using var harness = new ModuleHarness(DefaultPolicies(), gitlab);
        harness.Configure(relay.HubbleRelayAddress);
        await relay.WaitForRequestsAsync(1, Eventually.DefaultTimeout);

        relay.PublishNodeStatus(NodeState.NodeError, "connection refused", "node-2");
        relay.PublishNodeStatus((NodeState)42, "from the future", "node-3");
        relay.PublishLostEvents(17);
        relay.Publish(FlowFactory.Fixture("ingress-policy-denied.jsonl"));
        await Eventually.WaitAsync(() => gitlab.Accepted.Count == 1, "the alert after the status events");

        Assert.Equal(1, harness.Stats.NodeErrors);
        Assert.Equal(17, harness.Stats.LostEvents);
        Assert.Single(relay.Requests);
    }

    [Fact]
    public async Task Kas_unavailable_for_a_while_loses_no_alert()
    {
        await using var relay = await HubbleRelayTestServer.StartAsync();
        var gitlab = new FakeGitlabAccessClient();
        var kasUp = false;
        gitlab.Respond = attempt => Volatile.Read(ref kasUp)
            ? new GitlabAccessResponse(200, "{}"u8.ToArray())
            : attempt % 2 == 0 ? throw new RpcException(new Status(StatusCode.Unavailable, "KAS is down")) : new GitlabAccessResponse(503, "{}"u8.ToArray());
        await using var harness = new ModuleHarness(DefaultPolicies(), gitlab);
        harness.Configure(relay.HubbleRelayAddress);
        await relay.WaitForRequestsAsync(1, Eventually.DefaultTimeout);

        relay.Publish(FlowFactory.Fixture("ingress-policy-denied.jsonl"));
        relay.Publish(FlowFactory.Fixture("egress-policy-denied.jsonl"));
        relay.Publish(FlowFactory.Fixture("l7-http.jsonl"));
        await Eventually.WaitAsync(() => harness.Stats.DeliveryFailures >= 6, "several failed delivery attempts");
        Assert.Empty(gitlab.Accepted);

        Volatile.Write(ref kasUp, true);
        await Eventually.WaitAsync(
            () => gitlab.Accepted.Count == 5,
            () => $"all five alerts delivered after KAS came back; accepted {gitlab.Accepted.Count}, attempts {gitlab.Attempts.Count}, received {harness.Stats.FlowsReceived}, processed {harness.Stats.FlowsProcessed}, duplicates {harness.Stats.DuplicateFlows}, streams {harness.Stats.Streams}, alerts decided {harness.Stats.Decisions(FlowDecision.Alert)}, queued {harness.Stats.AlertsQueued}, pending {harness.Module.Pipeline?.Aggregator.PendingCount}, rate limited {harness.Module.Pipeline?.Aggregator.RateLimited}, queue {harness.Module.Delivery?.Count}");
        Assert.Equal(0, harness.Losses.Alerts);
        Assert.All(gitlab.AcceptedAlerts, a => Assert.Equal(0, a.GetProperty("dropped").GetInt64()));
        Assert.Equal(5, gitlab.AcceptedAlerts.Select(a => a.GetProperty("fingerprint").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task Ten_thousand_identical_drops_become_one_alert_with_count_ten_thousand()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var relay = await HubbleRelayTestServer.StartAsync();
        var gitlab = new FakeGitlabAccessClient();
        await using var harness = new ModuleHarness(DefaultPolicies(), gitlab, o =>
        {
            o.AggregationWindow = TimeSpan.FromSeconds(10);
            o.FlushInterval = TimeSpan.FromSeconds(1);
        }, time);
        harness.Configure(relay.HubbleRelayAddress);
        await relay.WaitForRequestsAsync(1, Eventually.DefaultTimeout);

        var start = time.GetUtcNow().AddSeconds(1);
        relay.Publish(FlowFactory.Repeats("ingress-policy-denied.jsonl", 10_000, start));
        await Eventually.WaitAsync(() => harness.Stats.FlowsProcessed == 10_000, "10,000 flows processed", TimeSpan.FromSeconds(120));
        Assert.Empty(gitlab.Attempts);

        time.Advance(TimeSpan.FromSeconds(11));
        await Eventually.WaitAsync(() => !gitlab.Accepted.IsEmpty, "the aggregated alert");
        var alert = Assert.Single(gitlab.AcceptedAlerts);
        Assert.Equal(10_000, alert.GetProperty("count").GetInt64());
        Assert.Equal(start, alert.GetProperty("first_seen").GetDateTimeOffset());
        Assert.Equal(start.AddTicks(9_999 * 10), alert.GetProperty("last_seen").GetDateTimeOffset());
        Assert.Equal("repeat-00000000", alert.GetProperty("flow").GetProperty("uuid").GetString());
    }

    [Fact]
    public async Task Follower_starts_restarts_and_stops_with_the_cilium_configuration()
    {
        await using var relayA = await HubbleRelayTestServer.StartAsync();
        await using var relayB = await HubbleRelayTestServer.StartAsync();
        var policies = DefaultPolicies();
        var gitlab = new FakeGitlabAccessClient();
        await using var harness = new ModuleHarness(policies, gitlab);

        harness.Configure(null);
        harness.Configure(relayA.HubbleRelayAddress);
        await relayA.WaitForRequestsAsync(1, Eventually.DefaultTimeout);

        // The same section again (only the project changes) keeps the stream.
        harness.Configure(relayA.HubbleRelayAddress, projectId: 43);
        harness.Configure(relayB.HubbleRelayAddress);
        await relayB.WaitForRequestsAsync(1, Eventually.DefaultTimeout);
        await Eventually.WaitAsync(() => relayA.ActiveStreams == 0, "the old relay's stream closed");
        Assert.Single(relayA.Requests);

        relayB.Publish(FlowFactory.Fixture("ingress-policy-denied.jsonl"));
        await Eventually.WaitAsync(() => gitlab.Accepted.Count == 1, "alert from the new relay");

        harness.Configure(null);
        await Eventually.WaitAsync(() => relayB.ActiveStreams == 0, "stream closed after cilium was removed");
        relayB.Publish(FlowFactory.Fixture("egress-policy-denied.jsonl"));
        harness.Configure("not a valid address:xyz");
        harness.Configure(relayB.HubbleRelayAddress);
        await relayB.WaitForRequestsAsync(2, Eventually.DefaultTimeout);
        Assert.Single(gitlab.Accepted);
        Assert.Equal(3, policies.Runs);
    }
}
