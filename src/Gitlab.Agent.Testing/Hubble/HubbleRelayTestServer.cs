using System.Net;
using System.Threading.Channels;
using Gitlab.Agent.Protocol.Cilium.Flow;
using Gitlab.Agent.Protocol.Cilium.Observer;
using Gitlab.Agent.Protocol.Cilium.Relay;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Testing.Hubble;

/// <summary>
/// An in-process Hubble Relay (<c>observer.Observer</c> over HTTP/2 cleartext on 127.0.0.1, port chosen at start) for
/// testing clients without Cilium. Tests publish flows (for example from <see cref="HubbleFixtures"/>); every
/// <c>GetFlows</c> stream starts with <c>node_status</c> events like Relay, replays the history its <c>since</c>/<c>number</c>
/// asks for and, with <c>follow</c>, streams what is published later. Tests can end streams normally, fail them with a
/// status, send frames that are not valid messages and make the next calls fail.
/// </summary>
public sealed class HubbleRelayTestServer : IAsyncDisposable
{
    private const string ServicePath = "/observer.Observer/";

    private static readonly byte[] CorruptPayload = [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01];

    private readonly HubbleRelayTestServerOptions _options;
    private readonly Lock _lock = new();
    private readonly LinkedList<GetFlowsResponse> _history = new();
    private readonly List<Channel<StreamItem>> _streams = [];
    private readonly List<GetFlowsRequest> _requests = [];
    private readonly Queue<(StatusCode Code, string Message)> _failNext = new();
    private readonly List<TaskCompletionSource> _streamWaiters = [];
    private WebApplication? _app;

    private HubbleRelayTestServer(HubbleRelayTestServerOptions options) => _options = options;

    /// <summary>Base address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The address in the form agent configuration uses (<c>cilium.hubble_relay_address</c>): <c>127.0.0.1:port</c>.</summary>
    public string HubbleRelayAddress => $"{Address.Host}:{Address.Port}";

    /// <summary>Every GetFlows request received so far, in order.</summary>
    public IReadOnlyList<GetFlowsRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Number of GetFlows streams currently following.</summary>
    public int ActiveStreams
    {
        get
        {
            lock (_lock)
            {
                return _streams.Count;
            }
        }
    }

    /// <summary>Starts a server on 127.0.0.1 with a port chosen by the operating system.</summary>
    public static async Task<HubbleRelayTestServer> StartAsync(HubbleRelayTestServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var server = new HubbleRelayTestServer(options ?? new HubbleRelayTestServerOptions());
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.MapPost(ServicePath + "GetFlows", server.GetFlowsAsync);
        app.MapPost(ServicePath + "ServerStatus", server.ServerStatusAsync);
        app.MapPost(ServicePath + "GetNodes", server.GetNodesAsync);
        app.MapPost(ServicePath + "{method}", (HttpContext context) => WriteStatusOnlyAsync(context, StatusCode.Unimplemented, "method not implemented by the test relay"));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Address = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        server._app = app;
        return server;
    }

    /// <summary>
    /// Adds <paramref name="response"/> to the history and sends it to every following stream whose filters accept it.
    /// For flows, <c>time</c> and <c>node_name</c> are copied from the flow when not set, as Hubble does.
    /// </summary>
    public void Publish(GetFlowsResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Flow is { } flow)
        {
            response.Time ??= flow.Time?.Clone();
            if (response.NodeName.Length == 0)
            {
                response.NodeName = flow.NodeName;
            }
        }

        lock (_lock)
        {
            _history.AddLast(response);
            while (_history.Count > _options.HistoryCapacity)
            {
                _history.RemoveFirst();
            }

            foreach (var stream in _streams)
            {
                stream.Writer.TryWrite(StreamItem.Send(response));
            }
        }
    }

    /// <summary>Publishes every response of <paramref name="responses"/> in order.</summary>
    public void Publish(IEnumerable<GetFlowsResponse> responses)
    {
        ArgumentNullException.ThrowIfNull(responses);
        foreach (var response in responses)
        {
            Publish(response);
        }
    }

    /// <summary>Publishes a flow.</summary>
    public void PublishFlow(Flow flow) => Publish(new GetFlowsResponse { Flow = flow });

    /// <summary>Publishes a <c>node_status</c> event (for example <c>NODE_ERROR</c> with a message).</summary>
    public void PublishNodeStatus(NodeState state, string message, params string[] nodes) =>
        Publish(new GetFlowsResponse
        {
            NodeStatus = new NodeStatusEvent { StateChange = state, Message = message, NodeNames = { nodes } },
            NodeName = "relay",
            Time = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        });

    /// <summary>Publishes a <c>lost_events</c> response reporting <paramref name="count"/> lost events.</summary>
    public void PublishLostEvents(ulong count, LostEventSource source = LostEventSource.HubbleRingBuffer) =>
        Publish(new GetFlowsResponse
        {
            LostEvents = new LostEvent { NumEventsLost = count, Source = source },
            NodeName = "node-1",
            Time = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        });

    /// <summary>Forgets the published history (as a restarted relay would).</summary>
    public void ClearHistory()
    {
        lock (_lock)
        {
            _history.Clear();
        }
    }

    /// <summary>Ends every following stream normally (status OK), as Relay does when all its nodes are gone.</summary>
    public void EndStreams() => Broadcast(StreamItem.End);

    /// <summary>Ends every following stream with <paramref name="code"/>.</summary>
    public void FailStreams(StatusCode code, string message) => Broadcast(StreamItem.Fail(code, message));

    /// <summary>Sends every following stream a frame whose bytes are not a valid <c>GetFlowsResponse</c>.</summary>
    public void SendCorruptFrame() => Broadcast(StreamItem.Corrupt);

    /// <summary>Makes the next <paramref name="count"/> GetFlows calls fail immediately with <paramref name="code"/>.</summary>
    public void FailNextCalls(StatusCode code, string message, int count = 1)
    {
        lock (_lock)
        {
            for (var i = 0; i < count; i++)
            {
                _failNext.Enqueue((code, message));
            }
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> GetFlows calls have been received and one stream is following.</summary>
    public async Task WaitForRequestsAsync(int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            TaskCompletionSource waiter;
            lock (_lock)
            {
                if (_requests.Count >= count && _streams.Count > 0)
                {
                    return;
                }

                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _streamWaiters.Add(waiter);
            }

            try
            {
                await waiter.Task.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Hubble test relay: expected {count} GetFlows calls with a following stream within {timeout}, got {Requests.Count} calls and {ActiveStreams} following streams");
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Broadcast(StreamItem.End);
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Broadcast(StreamItem item)
    {
        lock (_lock)
        {
            foreach (var stream in _streams)
            {
                stream.Writer.TryWrite(item);
            }
        }
    }

    private void NotifyWaiters()
    {
        foreach (var waiter in _streamWaiters)
        {
            waiter.TrySetResult();
        }

        _streamWaiters.Clear();
    }

    private async Task GetFlowsAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var request = await GrpcFrames.ReadSingleAsync(context.Request.BodyReader, GetFlowsRequest.Parser, cancellationToken).ConfigureAwait(false);
        if (request is null)
        {
            await WriteStatusOnlyAsync(context, StatusCode.Internal, "missing request message").ConfigureAwait(false);
            return;
        }

        if (request.First && request.Follow)
        {
            await WriteStatusOnlyAsync(context, StatusCode.InvalidArgument, "first cannot be specified with follow").ConfigureAwait(false);
            return;
        }

        var channel = Channel.CreateUnbounded<StreamItem>(new UnboundedChannelOptions { SingleReader = true });
        List<GetFlowsResponse> backlog;
        (StatusCode Code, string Message)? failure = null;
        lock (_lock)
        {
            _requests.Add(request);
            if (_failNext.Count > 0)
            {
                failure = _failNext.Dequeue();
                backlog = [];
            }
            else
            {
                backlog = SelectBacklog(request);
                if (request.Follow)
                {
                    _streams.Add(channel);
                }
            }

            NotifyWaiters();
        }

        if (failure is { } f)
        {
            await WriteStatusOnlyAsync(context, f.Code, f.Message).ConfigureAwait(false);
            return;
        }

        try
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.StartAsync(cancellationToken).ConfigureAwait(false);
            var writer = context.Response.BodyWriter;
            foreach (var status in InitialNodeStatus())
            {
                await GrpcFrames.WriteAsync(writer, status, cancellationToken).ConfigureAwait(false);
            }

            foreach (var response in backlog)
            {
                await GrpcFrames.WriteAsync(writer, response, cancellationToken).ConfigureAwait(false);
            }

            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (!request.Follow)
            {
                SetTrailers(context, StatusCode.OK, string.Empty);
                return;
            }

            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                switch (item.Kind)
                {
                    case StreamItemKind.Send when !_options.ApplyFilters || HubbleFlowFilter.Passes(request, item.Response!):
                        await GrpcFrames.WriteAsync(writer, item.Response!, cancellationToken).ConfigureAwait(false);
                        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                        break;
                    case StreamItemKind.Corrupt:
                        await GrpcFrames.WriteAsync(writer, CorruptPayload, cancellationToken).ConfigureAwait(false);
                        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                        break;
                    case StreamItemKind.End:
                        SetTrailers(context, StatusCode.OK, string.Empty);
                        return;
                    case StreamItemKind.Fail:
                        SetTrailers(context, item.Code, item.Message);
                        return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            lock (_lock)
            {
                _streams.Remove(channel);
            }
        }
    }

    private List<GetFlowsResponse> SelectBacklog(GetFlowsRequest request)
    {
        if (!_options.ApplyFilters)
        {
            return [.. _history];
        }

        var since = request.Since?.ToDateTimeOffset();
        var until = request.Until?.ToDateTimeOffset();
        var matching = _history
            .Where(r => r.Flow is not null && HubbleFlowFilter.Passes(request, r))
            .Where(r => HubbleFixtures.TimeOf(r) is not { } t || ((since is null || t >= since) && (until is null || t <= until)))
            .ToList();
        if (since is not null)
        {
            return matching;
        }

        if (request.Number > 0)
        {
            var count = (int)Math.Min(request.Number, (ulong)matching.Count);
            return request.First ? matching.Take(count).ToList() : matching.Skip(matching.Count - count).ToList();
        }

        return request.Follow ? [] : matching;
    }

    private IEnumerable<GetFlowsResponse> InitialNodeStatus()
    {
        var now = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        if (_options.ConnectedNodes.Count > 0)
        {
            yield return new GetFlowsResponse
            {
                NodeStatus = new NodeStatusEvent { StateChange = NodeState.NodeConnected, NodeNames = { _options.ConnectedNodes } },
                NodeName = "relay",
                Time = now,
            };
        }

        if (_options.UnavailableNodes.Count > 0)
        {
            yield return new GetFlowsResponse
            {
                NodeStatus = new NodeStatusEvent { StateChange = NodeState.NodeUnavailable, NodeNames = { _options.UnavailableNodes } },
                NodeName = "relay",
                Time = now,
            };
        }
    }

    private async Task ServerStatusAsync(HttpContext context)
    {
        _ = await GrpcFrames.ReadSingleAsync(context.Request.BodyReader, ServerStatusRequest.Parser, context.RequestAborted).ConfigureAwait(false);
        ServerStatusResponse response;
        lock (_lock)
        {
            response = new ServerStatusResponse
            {
                NumFlows = (ulong)_history.Count,
                MaxFlows = (ulong)_options.HistoryCapacity,
                SeenFlows = (ulong)_history.Count,
                NumConnectedNodes = (uint)_options.ConnectedNodes.Count,
                NumUnavailableNodes = (uint)_options.UnavailableNodes.Count,
                UnavailableNodes = { _options.UnavailableNodes.Take(10) },
                Version = "hubble-relay-test",
            };
        }

        await WriteUnaryAsync(context, response).ConfigureAwait(false);
    }

    private async Task GetNodesAsync(HttpContext context)
    {
        _ = await GrpcFrames.ReadSingleAsync(context.Request.BodyReader, GetNodesRequest.Parser, context.RequestAborted).ConfigureAwait(false);
        var response = new GetNodesResponse();
        response.Nodes.Add(_options.ConnectedNodes.Select(n => new Node { Name = n, State = NodeState.NodeConnected, Version = "test" }));
        response.Nodes.Add(_options.UnavailableNodes.Select(n => new Node { Name = n, State = NodeState.NodeUnavailable }));
        await WriteUnaryAsync(context, response).ConfigureAwait(false);
    }

    private static async Task WriteUnaryAsync(HttpContext context, Google.Protobuf.IMessage response)
    {
        context.Response.ContentType = "application/grpc";
        await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        await GrpcFrames.WriteAsync(context.Response.BodyWriter, response, context.RequestAborted).ConfigureAwait(false);
        SetTrailers(context, StatusCode.OK, string.Empty);
    }

    private static async Task WriteStatusOnlyAsync(HttpContext context, StatusCode code, string message)
    {
        context.Response.ContentType = "application/grpc";
        await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        SetTrailers(context, code, message);
    }

    private static void SetTrailers(HttpContext context, StatusCode code, string message)
    {
        context.Response.AppendTrailer("grpc-status", ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (message.Length > 0)
        {
            context.Response.AppendTrailer("grpc-message", Uri.EscapeDataString(message));
        }
    }

    private enum StreamItemKind
    {
        Send,
        End,
        Fail,
        Corrupt,
    }

    private sealed record StreamItem(StreamItemKind Kind, GetFlowsResponse? Response, StatusCode Code, string Message)
    {
        public static readonly StreamItem End = new(StreamItemKind.End, null, StatusCode.OK, string.Empty);
        public static readonly StreamItem Corrupt = new(StreamItemKind.Corrupt, null, StatusCode.OK, string.Empty);

        public static StreamItem Send(GetFlowsResponse response) => new(StreamItemKind.Send, response, StatusCode.OK, string.Empty);

        public static StreamItem Fail(StatusCode code, string message) => new(StreamItemKind.Fail, null, code, message);
    }
}
