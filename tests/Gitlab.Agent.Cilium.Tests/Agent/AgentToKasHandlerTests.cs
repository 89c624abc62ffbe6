using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.Cilium.Tests.Infrastructure;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Testing.Hubble;
using static Gitlab.Agent.Cilium.Tests.TestData;

namespace Gitlab.Agent.Cilium.Tests.Agent;

public sealed class AgentToKasHandlerTests : IDisposable
{
    private readonly ServerFixture _server = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task Alerts_flow_from_hubble_through_the_agent_module_into_the_kas_store()
    {
        await using var relay = await HubbleRelayTestServer.StartAsync();
        var gitlab = new HandlerGitlabAccessClient(_server.Handler, new AgentIdentity(7, "agent-7", 42, "group/project", 1));
        await using var harness = new ModuleHarness(new StaticPolicyCache(Policy("db-ingress", DbIngressSpec), Policy("api-l7", ApiL7Spec)), gitlab);
        harness.Configure(relay.HubbleRelayAddress);
        await relay.WaitForRequestsAsync(1, Eventually.DefaultTimeout);

        relay.Publish(FlowFactory.Repeats("ingress-policy-denied.jsonl", 25, DateTimeOffset.UtcNow.AddSeconds(1)));
        relay.Publish(FlowFactory.Fixture("l7-http.jsonl", DateTimeOffset.UtcNow.AddSeconds(2)));
        await Eventually.WaitAsync(
            () => harness.Stats.AlertsDelivered >= 4 && _server.Store.ListAsync(7).Result.Sum(a => a.Count) == 28,
            () => $"all alerts stored; stored {string.Join(", ", _server.Store.ListAsync(7).Result.Select(a => $"{a.PolicyName}:{a.Count}/{a.Reports}"))}, received {harness.Stats.FlowsReceived}, processed {harness.Stats.FlowsProcessed}, duplicates {harness.Stats.DuplicateFlows}, streams {harness.Stats.Streams}, alerts decided {harness.Stats.Decisions(Gitlab.Agent.Cilium.Policies.FlowDecision.Alert)}, delivered {harness.Stats.AlertsDelivered}, rejected {harness.Stats.AlertsRejected}, failures {harness.Stats.DeliveryFailures}, pending {harness.Module.Pipeline?.Aggregator.PendingCount}, queue {harness.Module.Delivery?.Count}");

        var alerts = await _server.Store.ListAsync(7);
        Assert.Equal(4, alerts.Count);
        var db = Assert.Single(alerts, a => a.PolicyName == "db-ingress");
        Assert.Equal(25, db.Count);
        Assert.Equal(3, alerts.Count(a => a.PolicyName == "api-l7"));
        Assert.Equal(0, harness.Stats.AlertsRejected);
    }
}
