using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Protocol.Grpctool;
using Gitlab.Agent.Protocol.KubernetesApi;
using Gitlab.Agent.Protocol.ReverseTunnel;
using Gitlab.Agent.Tunnel.Agent;
using Gitlab.Agent.Tunnel.Server;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.Tunnel.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Tunnel.Tests.ReverseTunnel;

public sealed class ReverseTunnelTests
{
    private const string Token = "glagent-test-token";
    private static readonly AgentIdentity Agent = new(42, "my-agent", 7, "group/project", 1);

    private static TestAgentAuthenticator Authenticator() => new TestAgentAuthenticator().Add(Token, Agent);

    private static HttpRequest Header(string method) => new() { Header = new HttpRequest.Types.Header { Request = new() { Method = method, UrlPath = "/" } } };

    private static HttpRequest Data(byte[] data) => new() { Data = new HttpRequest.Types.Data { Data_ = ByteString.CopyFrom(data) } };

    private static HttpRequest Trailer() => new() { Trailer = new HttpRequest.Types.Trailer() };

    private static async Task<(Metadata Headers, List<byte[]> Data, Metadata Trailers)> CallAsync(
        ITunnelConnectionProvider provider, string mode, IReadOnlyList<byte[]> chunks, Metadata? headers = null, CancellationToken ct = default)
    {
        var client = new KubernetesApi.KubernetesApiClient(provider.GetCallInvoker(Agent.AgentId));
        using var call = client.MakeRequest(headers, cancellationToken: ct);
        var writer = Task.Run(async () =>
        {
            await call.RequestStream.WriteAsync(Header(mode), ct);
            foreach (var chunk in chunks)
            {
                await call.RequestStream.WriteAsync(Data(chunk), ct);
            }

            await call.RequestStream.WriteAsync(Trailer(), ct);
            await call.RequestStream.CompleteAsync();
        }, ct);
        var data = new List<byte[]>();
        await foreach (var response in call.ResponseStream.ReadAllAsync(ct))
        {
            data.Add(response.Data.Data_.ToByteArray());
        }

        await writer;
        return (await call.ResponseHeadersAsync, data, call.GetTrailers());
    }

    [Theory]
    [InlineData(KasTransport.Grpc)]
    [InlineData(KasTransport.Grpcs)]
    [InlineData(KasTransport.Ws)]
    [InlineData(KasTransport.Wss)]
    public async Task Call_through_tunnel_round_trips_metadata_and_messages_and_uses_one_stream_per_call(KasTransport transport)
    {
        await using var kas = await TunnelKas.StartAsync(transport, Authenticator());
        var echo = new EchoHandler();
        await using var agent = new TestAgent(kas.AgentAddress, Token, [echo], new TunnelAgentOptions { MaxIdleTime = TimeSpan.FromSeconds(1) });
        var provider = kas.Services.GetRequiredService<ITunnelConnectionProvider>();
        await Eventually.TrueAsync(() => Task.FromResult(provider.GetIdleTunnelCount(Agent.AgentId) == 2), "two idle tunnels");

        var chunks = Enumerable.Range(0, 30).Select(i => Enumerable.Repeat((byte)i, 1000 * i + 1).ToArray()).ToList();
        for (var round = 0; round < 3; round++)
        {
            var (headers, data, trailers) = await CallAsync(provider, "GET", chunks, new Metadata { { "x-caller", $"round-{round}" } });
            Assert.Equal("GET", headers.GetValue("x-echo-method"));
            Assert.Equal($"round-{round}", headers.GetValue("x-caller"));
            Assert.Equal(chunks, data);
            Assert.Equal("yes", trailers.GetValue("x-done"));
        }

        Assert.Equal(3, echo.Started);
        // Used streams are replaced; the streams added while busy close after MaxIdleTime.
        await Eventually.TrueAsync(() => Task.FromResult(provider.GetIdleTunnelCount(Agent.AgentId) == 2 && agent.Manager.TotalCount == 2), "pool back to two idle tunnels");
    }

    [Fact]
    public async Task Agent_error_before_header_and_after_trailer_reach_the_caller()
    {
        await using var kas = await TunnelKas.StartAsync(KasTransport.Grpc, Authenticator());
        await using var agent = new TestAgent(kas.AgentAddress, Token, [new EchoHandler()]);
        var provider = kas.Services.GetRequiredService<ITunnelConnectionProvider>();

        var early = await Assert.ThrowsAsync<RpcException>(() => CallAsync(provider, "FAIL", [[1]]));
        Assert.Equal(StatusCode.PermissionDenied, early.StatusCode);
        Assert.Equal("no you don't", early.Status.Detail);

        var late = await Assert.ThrowsAsync<RpcException>(() => CallAsync(provider, "GET", [[1]], new Metadata { { "x-fail-late", "1" } }));
        Assert.Equal(StatusCode.ResourceExhausted, late.StatusCode);
        Assert.Equal("late failure", late.Status.Detail);
    }

    [Fact]
    public async Task No_agent_connected_fails_with_deadline_exceeded_after_find_timeout()
    {
        await using var kas = await TunnelKas.StartAsync(KasTransport.Grpc, Authenticator(), s => s.Configure<TunnelServerOptions>(o => o.FindTimeout = TimeSpan.FromSeconds(1)));
        var provider = kas.Services.GetRequiredService<ITunnelConnectionProvider>();

        var e = await Assert.ThrowsAsync<RpcException>(() => CallAsync(provider, "GET", [[1]]));

        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.Equal("Agent connection not found. Is agent up to date and connected?", e.Status.Detail);
    }

    [Fact]
    public async Task Tunnel_is_only_used_for_methods_its_descriptor_lists()
    {
        await using var kas = await TunnelKas.StartAsync(KasTransport.Grpc, Authenticator(), s => s.Configure<TunnelServerOptions>(o => o.FindTimeout = TimeSpan.FromSeconds(1)));
        await using var agent = new TestAgent(kas.AgentAddress, Token, [new EchoHandler()]);
        var provider = kas.Services.GetRequiredService<ITunnelConnectionProvider>();
        await Eventually.TrueAsync(() => Task.FromResult(provider.GetIdleTunnelCount(Agent.AgentId) == 2), "two idle tunnels");
        var client = new Gitlab.Agent.Protocol.AgentRegistrar.AgentRegistrar.AgentRegistrarClient(provider.GetCallInvoker(Agent.AgentId));

        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.RegisterAsync(new()));

        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.Equal(2, provider.GetIdleTunnelCount(Agent.AgentId));
    }

    [Fact]
    public async Task Request_waiting_for_a_tunnel_gets_the_next_one_that_connects()
    {
        await using var kas = await TunnelKas.StartAsync(KasTransport.Grpc, Authenticator());
        var provider = kas.Services.GetRequiredService<ITunnelConnectionProvider>();
        var pending = CallAsync(provider, "GET", [[5, 6]]);
        await Task.Delay(300);
        Assert.False(pending.IsCompleted);

        await using var agent = new TestAgent(kas.AgentAddress, Token, [new EchoHandler()]);
        var (_, data, _) = await pending.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(new byte[] { 5, 6 }, Assert.Single(data));
    }

    [Fact]
    public async Task Pool_grows_under_concurrent_load_and_shrinks_back_to_min_idle()
    {
        await using var kas = await TunnelKas.StartAsync(KasTransport.Ws, Authenticator());
        var echo = new EchoHandler();
        await using var agent = new TestAgent(kas.AgentAddress, Token, [echo], new TunnelAgentOptions { MaxIdleTime = TimeSpan.FromSeconds(1) });
        var provider = kas.Services.GetRequiredService<ITunnelConnectionProvider>();
        await Eventually.TrueAsync(() => Task.FromResult(provider.GetIdleTunnelCount(Agent.AgentId) == 2), "two idle tunnels");

        var calls = Enumerable.Range(0, 25).Select(_ => CallAsync(provider, "BLOCK", [[1]])).ToList();
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref echo.Started) == 25), "all 25 calls reach the agent at once");
        // The replacements for the claimed streams connect in the background: wait for them, loaded machines are slow.
        await Eventually.WaitAsync(
            () => agent.Manager.TotalCount >= 27 && agent.Manager.IdleCount >= 2,
            () => $"pool holds 25 busy + 2 idle streams, got {agent.Manager.TotalCount} in all and {agent.Manager.IdleCount} idle");
        echo.Release.SetResult();
        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));

        await Eventually.TrueAsync(() => Task.FromResult(agent.Manager.TotalCount == 2), "idle streams above the minimum close after MaxIdleTime");
        await Eventually.TrueAsync(() => Task.FromResult(provider.GetIdleTunnelCount(Agent.AgentId) == 2), "KAS drops closed idle tunnels");
        Assert.Equal(new byte[] { 3 }, Assert.Single((await CallAsync(provider, "GET", [[3]])).Data));
    }

    [Fact]
    public async Task Max_connections_caps_the_pool()
    {
        await using var kas = await TunnelKas.StartAsync(KasTransport.Grpc, Authenticator());
        var echo = new EchoHandler();
        await using var agent = new TestAgent(kas.AgentAddress, Token, [echo], new TunnelAgentOptions { MinIdleConnections = 2, MaxConnections = 4, ScaleUpStep = 10 });
        var provider = kas.Services.GetRequiredService<ITunnelConnectionProvider>();

        var calls = Enumerable.Range(0, 6).Select(_ => CallAsync(provider, "BLOCK", [[1]])).ToList();
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref echo.Started) == 4), "four calls served");
        await Task.Delay(500);
        Assert.Equal(4, Volatile.Read(ref echo.Started));
        Assert.Equal(4, agent.Manager.TotalCount);

        echo.Release.SetResult();
        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(6, echo.Started);
    }

    [Fact]
    public async Task Caller_cancellation_cancels_the_agent_handler()
    {
        await using var kas = await TunnelKas.StartAsync(KasTransport.Grpc, Authenticator());
        var echo = new EchoHandler();
        await using var agent = new TestAgent(kas.AgentAddress, Token, [echo], new TunnelAgentOptions { MaxIdleTime = TimeSpan.FromSeconds(1) });
        var provider = kas.Services.GetRequiredService<ITunnelConnectionProvider>();
        using var cts = new CancellationTokenSource();

        var call = CallAsync(provider, "BLOCK", [[1]], ct: cts.Token);
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref echo.Started) == 1), "call reached the agent");
        await cts.CancelAsync();

        var e = await Assert.ThrowsAnyAsync<Exception>(() => call);
        Assert.True(e is OperationCanceledException || e is RpcException { StatusCode: StatusCode.Cancelled }, e.ToString());
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref echo.Cancelled) == 1), "agent handler cancelled");
        await Eventually.TrueAsync(() => Task.FromResult(provider.GetIdleTunnelCount(Agent.AgentId) == 2 && agent.Manager.TotalCount == 2), "pool back to two idle tunnels");
    }

    [Fact]
    public async Task Unknown_agent_token_is_rejected()
    {
        await using var kas = await TunnelKas.StartAsync(KasTransport.Grpc, Authenticator());
        using var channel = AgentChannels.Create(kas.AgentAddress);
        var client = new Protocol.ReverseTunnel.ReverseTunnel.ReverseTunnelClient(channel.Intercept(m => { m.Add("authorization", "Bearer wrong"); return m; }));
        using var call = client.Connect();
        await call.RequestStream.WriteAsync(new ConnectRequest { Descriptor_ = new AgentDescriptorFrame { AgentDescriptor = new() } });

        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
    }

    [Fact]
    public async Task First_message_must_be_the_descriptor()
    {
        await using var kas = await TunnelKas.StartAsync(KasTransport.Grpc, Authenticator());
        using var channel = AgentChannels.Create(kas.AgentAddress);
        var client = new Protocol.ReverseTunnel.ReverseTunnel.ReverseTunnelClient(channel.Intercept(m => { m.Add("authorization", "Bearer " + Token); return m; }));
        using var call = client.Connect();
        await call.RequestStream.WriteAsync(new ConnectRequest { Header = new Header() });

        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }

    [Fact]
    public async Task Agent_answering_out_of_order_fails_the_call_with_a_protocol_error()
    {
        await using var kas = await TunnelKas.StartAsync(KasTransport.Grpc, Authenticator());
        var provider = kas.Services.GetRequiredService<ITunnelConnectionProvider>();
        using var channel = AgentChannels.Create(kas.AgentAddress);
        var client = new Protocol.ReverseTunnel.ReverseTunnel.ReverseTunnelClient(channel.Intercept(m => { m.Add("authorization", "Bearer " + Token); return m; }));
        using var rogue = client.Connect();
        var descriptor = new Protocol.ReverseTunnel.Info.AgentDescriptor();
        descriptor.Services.Add(new Protocol.ReverseTunnel.Info.Service { Name = "gitlab.agent.kubernetes_api.rpc.KubernetesApi", Methods = { new Protocol.ReverseTunnel.Info.Method { Name = "MakeRequest" } } });
        await rogue.RequestStream.WriteAsync(new ConnectRequest { Descriptor_ = new AgentDescriptorFrame { AgentDescriptor = descriptor } });
        await Eventually.TrueAsync(() => Task.FromResult(provider.GetIdleTunnelCount(Agent.AgentId) == 1), "rogue tunnel parked");

        var call = CallAsync(provider, "GET", []);
        Assert.True(await rogue.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(ConnectResponse.MsgOneofCase.RequestInfo, rogue.ResponseStream.Current.MsgCase);
        Assert.Equal("/gitlab.agent.kubernetes_api.rpc.KubernetesApi/MakeRequest", rogue.ResponseStream.Current.RequestInfo.MethodName);
        // A message before the header breaks the order.
        await rogue.RequestStream.WriteAsync(new ConnectRequest { Message = new Message { Data = ByteString.CopyFromUtf8("x") } });

        var e = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("protocol violation", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_claimed_by_a_tunnel_the_agent_is_retiring_moves_to_another_tunnel()
    {
        await using var kas = await TunnelKas.StartAsync(KasTransport.Grpc, Authenticator());
        var provider = kas.Services.GetRequiredService<ITunnelConnectionProvider>();
        var echo = new EchoHandler();
        await using var agent = new TestAgent(kas.AgentAddress, Token, [echo]);
        await Eventually.TrueAsync(() => Task.FromResult(provider.GetIdleTunnelCount(Agent.AgentId) == 2), "two idle tunnels");

        // A tunnel that registers last is picked first; it answers like an agent closing an idle stream.
        using var channel = AgentChannels.Create(kas.AgentAddress);
        var client = new Protocol.ReverseTunnel.ReverseTunnel.ReverseTunnelClient(channel.Intercept(m => { m.Add("authorization", "Bearer " + Token); return m; }));
        using var retiring = client.Connect();
        var descriptor = new Protocol.ReverseTunnel.Info.AgentDescriptor();
        descriptor.Services.Add(new Protocol.ReverseTunnel.Info.Service { Name = "gitlab.agent.kubernetes_api.rpc.KubernetesApi", Methods = { new Protocol.ReverseTunnel.Info.Method { Name = "MakeRequest" } } });
        await retiring.RequestStream.WriteAsync(new ConnectRequest { Descriptor_ = new AgentDescriptorFrame { AgentDescriptor = descriptor } });
        await Eventually.TrueAsync(() => Task.FromResult(provider.GetIdleTunnelCount(Agent.AgentId) == 3), "retiring tunnel parked");

        var call = CallAsync(provider, "GET", [[1, 2, 3], [4]]);
        Assert.True(await retiring.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(ConnectResponse.MsgOneofCase.RequestInfo, retiring.ResponseStream.Current.MsgCase);
        await retiring.RequestStream.WriteAsync(new ConnectRequest
        {
            Error = new Error { Status = new Protocol.GoogleRpc.Status { Code = (int)StatusCode.Unavailable, Message = Gitlab.Agent.Tunnel.Internal.TunnelSignals.RetiredMessage } },
        });
        await retiring.RequestStream.CompleteAsync();

        var (headers, data, _) = await call.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("GET", headers.GetValue("x-echo-method"));
        Assert.Equal([new byte[] { 1, 2, 3 }, new byte[] { 4 }], data);
        Assert.Equal(1, echo.Started);
    }

    [Fact]
    public async Task Agent_shutdown_closes_idle_tunnels_gracefully()
    {
        await using var kas = await TunnelKas.StartAsync(KasTransport.Grpc, Authenticator(), s => s.Configure<TunnelServerOptions>(o => o.FindTimeout = TimeSpan.FromSeconds(2)));
        var provider = kas.Services.GetRequiredService<ITunnelConnectionProvider>();
        var agent = new TestAgent(kas.AgentAddress, Token, [new EchoHandler()]);
        await Eventually.TrueAsync(() => Task.FromResult(provider.GetIdleTunnelCount(Agent.AgentId) == 2), "two idle tunnels");

        await agent.DisposeAsync();

        await Eventually.TrueAsync(() => Task.FromResult(provider.GetIdleTunnelCount(Agent.AgentId) == 0), "KAS drops the closed tunnels");
        var e = await Assert.ThrowsAsync<RpcException>(() => CallAsync(provider, "GET", [[1]]));
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
    }
}
