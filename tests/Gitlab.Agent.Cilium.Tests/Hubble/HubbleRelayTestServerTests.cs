using Gitlab.Agent.Cilium.Tests.Infrastructure;
using Gitlab.Agent.Protocol.Cilium.Flow;
using Gitlab.Agent.Protocol.Cilium.Observer;
using Gitlab.Agent.Protocol.Cilium.Relay;
using Gitlab.Agent.Testing.Hubble;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Gitlab.Agent.Cilium.Tests.Hubble;

public class HubbleRelayTestServerTests
{
    private static async Task<List<GetFlowsResponse>> ReadAllAsync(HubbleRelayTestServer relay, GetFlowsRequest request)
    {
        using var channel = GrpcChannel.ForAddress(relay.Address);
        using var call = new Observer.ObserverClient(channel).GetFlows(request);
        var result = new List<GetFlowsResponse>();
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            result.Add(response);
        }

        return result;
    }

    [Fact]
    public async Task Replays_history_with_relay_filter_semantics_since_and_number()
    {
        await using var relay = await HubbleRelayTestServer.StartAsync();
        var start = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        relay.Publish(FlowFactory.Fixture("allowed.jsonl", start));
        relay.Publish(FlowFactory.Fixture("non-policy-drops.jsonl", start.AddSeconds(10)));
        relay.Publish(FlowFactory.Fixture("ingress-policy-denied.jsonl", start.AddSeconds(20)));
        relay.Publish(FlowFactory.Fixture("l7-http.jsonl", start.AddSeconds(30)));

        var policyDrops = new GetFlowsRequest
        {
            Whitelist = { new FlowFilter { Verdict = { Verdict.Dropped }, EventType = { new EventTypeFilter { Type = 5 }, new EventTypeFilter { Type = 129 } } } },
            Blacklist = { new FlowFilter { DropReasonDesc = { DropReason.StaleOrUnroutableIp } } },
        };
        var responses = await ReadAllAsync(relay, policyDrops);
        Assert.Equal(NodeState.NodeConnected, responses[0].NodeStatus.StateChange);
        Assert.Equal(["node-1"], responses[0].NodeStatus.NodeNames);
        Assert.Equal(5, responses.Count(r => r.Flow is not null));

        var since = policyDrops.Clone();
        since.Since = Timestamp.FromDateTimeOffset(start.AddSeconds(30.2));
        Assert.Equal(2, (await ReadAllAsync(relay, since)).Count(r => r.Flow is not null));

        var lastTwo = new GetFlowsRequest { Number = 2 };
        var flows = (await ReadAllAsync(relay, lastTwo)).Where(r => r.Flow is not null).ToList();
        Assert.Equal(["6c2a1e2e-0012-4f00-9a00-000000000012", "6c2a1e2e-0013-4f00-9a00-000000000013"], flows.Select(f => f.Flow.Uuid));
        Assert.Equal(flows[0].Flow.Time, flows[0].Time);
    }

    [Fact]
    public async Task First_with_follow_is_rejected_and_scripted_failures_surface_as_status_codes()
    {
        await using var relay = await HubbleRelayTestServer.StartAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(relay, new GetFlowsRequest { First = true, Follow = true }));
        Assert.Equal((StatusCode.InvalidArgument, "first cannot be specified with follow"), (error.StatusCode, error.Status.Detail));

        relay.FailNextCalls(StatusCode.PermissionDenied, "no access");
        error = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(relay, new GetFlowsRequest()));
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);

        using var channel = GrpcChannel.ForAddress(relay.Address);
        var client = new Observer.ObserverClient(channel);
        using var call = client.GetFlows(new GetFlowsRequest { Follow = true });
        Assert.True(await call.ResponseStream.MoveNext());
        relay.SendCorruptFrame();
        var corrupt = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        // Grpc.Net.Client reports a frame that does not parse as Unavailable "Error reading next message".
        Assert.IsType<InvalidProtocolBufferException>(corrupt.Status.DebugException);

        var status = await client.ServerStatusAsync(new ServerStatusRequest());
        Assert.Equal(1u, status.NumConnectedNodes);
        var unimplemented = await Assert.ThrowsAsync<RpcException>(async () =>
            await channel.CreateCallInvoker().AsyncUnaryCall(
                new Method<ServerStatusRequest, ServerStatusResponse>(MethodType.Unary, "observer.Observer", "GetNamespaces", Marshallers.Create(m => m.ToByteArray(), ServerStatusRequest.Parser.ParseFrom), Marshallers.Create(m => m.ToByteArray(), ServerStatusResponse.Parser.ParseFrom)),
                null,
                new CallOptions(),
                new ServerStatusRequest()));
        Assert.Equal(StatusCode.Unimplemented, unimplemented.StatusCode);
    }

    [Fact]
    public void Fixture_reader_reports_bad_lines_with_file_and_line_or_skips_them()
    {
        var text = "{\"flow\":{\"verdict\":\"DROPPED\",\"unknownField\":1}}\n\nnot json\n{\"nodeName\":\"n\",\"lostEvents\":{\"numEventsLost\":\"3\"}}\n";
        var error = Assert.Throws<FormatException>(() => HubbleFixtures.ReadJsonLines(new StringReader(text), "flows.jsonl"));
        Assert.StartsWith("flows.jsonl:3: not a GetFlowsResponse", error.Message, StringComparison.Ordinal);

        var responses = HubbleFixtures.ReadJsonLines(new StringReader(text), skipInvalidLines: true);
        Assert.Equal(2, responses.Count);
        Assert.Equal(Verdict.Dropped, responses[0].Flow.Verdict);
        Assert.Equal(3UL, responses[1].LostEvents.NumEventsLost);
    }
}
