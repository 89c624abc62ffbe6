using System.Text;
using System.Text.Json;
using Gitlab.Agent.Cilium.Alerts;
using Gitlab.Agent.Cilium.Tests.Infrastructure;
using Gitlab.Agent.Kas.Modules;
using Google.Protobuf;
using static Gitlab.Agent.Cilium.Tests.TestData;

namespace Gitlab.Agent.Cilium.Tests.Server;

public sealed class CiliumAlertRequestHandlerTests : IDisposable
{
    private static readonly AgentIdentity Agent = new(7, "agent-7", 42, "group/project", 1);
    private readonly ServerFixture _server = new();

    public void Dispose() => _server.Dispose();

    private static AgentModuleRequest Post(string body, string method = "POST", string path = "/") =>
        new(method, path, new Dictionary<string, IReadOnlyList<string>>(), new Dictionary<string, IReadOnlyList<string>>(), Encoding.UTF8.GetBytes(body));

    private static string AgentPayload(long count = 3, int firstSecond = 0, int lastSecond = 5, long dropped = 0)
    {
        var flow = Flow("ingress-policy-denied.jsonl");
        var time = flow.Time.ToDateTimeOffset();
        var alert = new AlertToSend(
            AlertFingerprint.Compute(flow, "prod", "db-ingress"), Policy("db-ingress", DbIngressSpec), flow, count, time.AddSeconds(firstSecond), time.AddSeconds(lastSecond));
        return Encoding.UTF8.GetString(AlertPayload.Write(alert, dropped, dropped * 10));
    }

    private async Task<(int Status, JsonElement Body)> SendAsync(AgentModuleRequest request)
    {
        var response = await _server.Handler.HandleAsync(Agent, request);
        Assert.Equal("application/json", response.Headers["Content-Type"][0]);
        return (response.StatusCode, JsonDocument.Parse(response.Body).RootElement.Clone());
    }

    [Fact]
    public async Task Agent_report_is_stored_with_count_times_and_summary()
    {
        var (status, body) = await SendAsync(Post(AgentPayload()));
        Assert.Equal(200, status);
        Assert.Equal(3, body.GetProperty("count").GetInt64());

        var alert = Assert.Single(await _server.Store.ListAsync(7));
        Assert.Equal(body.GetProperty("fingerprint").GetString(), alert.Fingerprint);
        Assert.Equal(("prod", "db-ingress"), (alert.PolicyNamespace, alert.PolicyName));
        Assert.Equal(("INGRESS", "DROPPED", "POLICY_DENIED"), (alert.TrafficDirection, alert.Verdict, alert.DropReason));
        Assert.Equal(("prod/frontend-7d9f8c6b5-x2x9k", "prod/db-0"), (alert.Source, alert.Destination));
        var flowTime = Flow("ingress-policy-denied.jsonl").Time.ToDateTimeOffset();
        Assert.Equal((flowTime, flowTime.AddSeconds(5)), (alert.FirstSeen, alert.LastSeen));
        Assert.Equal((3L, 1L), (alert.Count, alert.Reports));
        Assert.Equal("db-0", JsonDocument.Parse(alert.Payload).RootElement.GetProperty("flow").GetProperty("destination").GetProperty("podName").GetString());
        Assert.Empty(await _server.Store.ListAsync(8));
    }

    [Fact]
    public async Task Reports_of_one_fingerprint_are_merged_and_an_identical_retry_is_ignored()
    {
        await SendAsync(Post(AgentPayload(count: 3, firstSecond: 10, lastSecond: 20)));
        await SendAsync(Post(AgentPayload(count: 5, firstSecond: 0, lastSecond: 15, dropped: 2)));
        var (_, retry) = await SendAsync(Post(AgentPayload(count: 5, firstSecond: 0, lastSecond: 15, dropped: 2)));
        Assert.Equal(8, retry.GetProperty("count").GetInt64());

        var alert = Assert.Single(await _server.Store.ListAsync(7));
        var flowTime = Flow("ingress-policy-denied.jsonl").Time.ToDateTimeOffset();
        Assert.Equal((8L, 2L, 2L, 20L), (alert.Count, alert.Reports, alert.DroppedAlerts, alert.DroppedFlows));
        Assert.Equal((flowTime, flowTime.AddSeconds(20)), (alert.FirstSeen, alert.LastSeen));
    }

    [Fact]
    public async Task Payload_of_gitlabs_own_agent_is_accepted_and_fingerprinted_like_ours()
    {
        var flow = Flow("ingress-policy-denied.jsonl");
        var gitlabPayload = GitlabPayload(flow, PolicyJson("db-ingress", DbIngressSpec));
        var (status, body) = await SendAsync(Post(gitlabPayload));
        Assert.Equal(200, status);
        Assert.Equal(AlertFingerprint.Compute(flow, "prod", "db-ingress"), body.GetProperty("fingerprint").GetString());

        var alert = Assert.Single(await _server.Store.ListAsync(7));
        Assert.Equal((1L, flow.Time.ToDateTimeOffset()), (alert.Count, alert.FirstSeen));
    }

    [Theory]
    [InlineData("{\"alert\":", 400, "request body is not valid JSON")]
    [InlineData("[]", 400, "request body: expected a JSON object, got an array")]
    [InlineData("{}", 400, "alert: required object is missing")]
    [InlineData("""{"alert":{"ciliumNetworkPolicy":{"metadata":{"name":"p","namespace":"n"}}}}""", 400, "alert.flow: required object is missing")]
    [InlineData("""{"alert":{"flow":"DROPPED","ciliumNetworkPolicy":{"metadata":{"name":"p","namespace":"n"}}}}""", 400, "alert.flow: expected an object, got a string")]
    [InlineData("""{"alert":{"flow":{}}}""", 400, "alert.ciliumNetworkPolicy: required object is missing")]
    [InlineData("""{"alert":{"flow":{},"ciliumNetworkPolicy":{}}}""", 400, "alert.ciliumNetworkPolicy.metadata: required object is missing")]
    [InlineData("""{"alert":{"flow":{},"ciliumNetworkPolicy":{"metadata":{"namespace":"n"}}}}""", 400, "alert.ciliumNetworkPolicy.metadata.name: required non-empty string")]
    [InlineData("""{"alert":{"flow":{},"ciliumNetworkPolicy":{"metadata":{"name":"p","namespace":""}}}}""", 400, "alert.ciliumNetworkPolicy.metadata.namespace: required non-empty string")]
    [InlineData("""{"alert":{"flow":{"verdict":{}},"ciliumNetworkPolicy":{"metadata":{"name":"p","namespace":"n"}}}}""", 400, "alert.flow: not a Hubble flow in protojson form")]
    [InlineData("""{"alert":{"flow":{},"ciliumNetworkPolicy":{"metadata":{"name":"p","namespace":"n"}},"count":0}}""", 400, "alert.count: expected an integer of at least 1, got 0")]
    [InlineData("""{"alert":{"flow":{},"ciliumNetworkPolicy":{"metadata":{"name":"p","namespace":"n"}},"dropped":-1}}""", 400, "alert.dropped: expected an integer of at least 0, got -1")]
    [InlineData("""{"alert":{"flow":{},"ciliumNetworkPolicy":{"metadata":{"name":"p","namespace":"n"}},"first_seen":"yesterday"}}""", 400, "alert.first_seen: expected an RFC 3339 time, got \"yesterday\"")]
    [InlineData("""{"alert":{"flow":{},"ciliumNetworkPolicy":{"metadata":{"name":"p","namespace":"n"}},"first_seen":"2026-03-01T10:00:00Z","last_seen":"2026-03-01T09:00:00Z"}}""", 400, "alert.last_seen (2026-03-01T09:00:00.0000000+00:00) is before alert.first_seen")]
    [InlineData("""{"alert":{"flow":{},"ciliumNetworkPolicy":{"metadata":{"name":"p","namespace":"n"}},"fingerprint":"../etc"}}""", 400, "alert.fingerprint: expected 1 to 128 letters")]
    public async Task Invalid_payloads_get_400_with_a_message_naming_the_field(string body, int status, string message)
    {
        var (actualStatus, response) = await SendAsync(Post(body));
        Assert.Equal(status, actualStatus);
        Assert.StartsWith(message, response.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(await _server.Store.ListAsync(null));
    }

    [Fact]
    public async Task Oversized_body_wrong_method_and_unknown_path_are_refused()
    {
        _server.Options.MaxRequestBytes = 100;
        var (status, body) = await SendAsync(Post(AgentPayload()));
        Assert.Equal(400, status);
        Assert.Matches(@"^alert payload is \d+ bytes; the limit is 100 bytes$", body.GetProperty("message").GetString());

        Assert.Equal(405, (await SendAsync(Post("{}", method: "GET"))).Status);
        Assert.Equal(404, (await SendAsync(Post("{}", path: "/alerts"))).Status);
    }

    [Fact]
    public async Task Deeply_nested_payload_is_refused()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100);
        var (status, body) = await SendAsync(Post(deep));
        Assert.Equal(400, status);
        Assert.StartsWith("request body is not valid JSON", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
