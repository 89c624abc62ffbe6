using System.Threading.Channels;
using Gitlab.Agent.Protocol.ReverseTunnel;
using Gitlab.Agent.Tunnel.Internal;
using Gitlab.Agent.Tunnel.Transport;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Tunnel.Agent;

/// <summary>One worker of the pool: opens a tunnel stream, waits for a request, serves it, and starts over.</summary>
internal sealed class TunnelConnection(TunnelConnectionManager manager)
{
    private readonly ExponentialBackoff _backoff = new(
        manager.Options.BackoffInitial, manager.Options.BackoffMax, manager.Options.BackoffFactor, manager.Options.BackoffJitter);

    private enum Outcome
    {
        Served,
        ClosedByKas,
        Retired,
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        var explainedMismatch = false;
        while (!stopping.IsCancellationRequested)
        {
            var started = manager.TimeProvider.GetTimestamp();
            try
            {
                var outcome = await RunOnceAsync(stopping).ConfigureAwait(false);
                if (outcome == Outcome.Retired)
                {
                    return;
                }

                _backoff.Reset();
                continue;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is RpcException or IOException or InvalidOperationException or TunnelProtocolException)
            {
                if (manager.TimeProvider.GetElapsedTime(started) >= manager.Options.BackoffResetAfter)
                {
                    _backoff.Reset();
                }

                var delay = _backoff.Next();
                if (!explainedMismatch && manager.KasAddress is { } address && KasConnectionErrors.ExplainSchemeMismatch(address, e) is { } explanation)
                {
                    explainedMismatch = true;
                    TunnelLog.TunnelSchemeMismatch(manager.Logger, explanation);
                }
                else
                {
                    TunnelLog.TunnelConnectFailed(manager.Logger, delay, e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.Message);
                }

                try
                {
                    await Task.Delay(delay, manager.TimeProvider, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    private async Task<Outcome> RunOnceAsync(CancellationToken stopping)
    {
        using var callCts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var call = manager.Client.Connect(cancellationToken: callCts.Token);
        manager.Metrics.AgentConnections.Add(1);
        try
        {
            await call.RequestStream.WriteAsync(manager.Descriptor, callCts.Token).ConfigureAwait(false);
            var next = call.ResponseStream.MoveNext(callCts.Token);
            while (true)
            {
                using var idleTimer = CancellationTokenSource.CreateLinkedTokenSource(callCts.Token);
                var idle = Task.Delay(manager.Options.MaxIdleTime, manager.TimeProvider, idleTimer.Token);
                var first = await Task.WhenAny(next, idle).ConfigureAwait(false);
                await idleTimer.CancelAsync().ConfigureAwait(false);
                if (first == next)
                {
                    break;
                }

                if (manager.TryRetireIdle())
                {
                    // Reset the stream so KAS drops it from its registry, then stop.
                    await callCts.CancelAsync().ConfigureAwait(false);
                    await Observe(next).ConfigureAwait(false);
                    return Outcome.Retired;
                }
            }

            if (!await next.ConfigureAwait(false))
            {
                // KAS ended the idle stream (shutdown or max connection age): reconnect at once.
                return Outcome.ClosedByKas;
            }

            var frame = call.ResponseStream.Current;
            if (frame.MsgCase != ConnectResponse.MsgOneofCase.RequestInfo)
            {
                throw new TunnelProtocolException($"KAS sent '{frame.MsgCase}' before 'request_info' on a tunnel.");
            }

            manager.OnBusy();
            try
            {
                await ServeAsync(call, frame.RequestInfo, callCts).ConfigureAwait(false);
            }
            finally
            {
                manager.OnIdle();
            }

            return Outcome.Served;
        }
        finally
        {
            manager.Metrics.AgentConnections.Add(-1);
        }
    }

    private async Task ServeAsync(AsyncDuplexStreamingCall<ConnectRequest, ConnectResponse> call, RequestInfo info, CancellationTokenSource callCts)
    {
        manager.Metrics.AgentRequests.Add(1);
        TunnelLog.TunnelRequestStarted(manager.Logger, info.MethodName);
        var requests = Channel.CreateBounded<ByteString>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
        using var handlerCts = CancellationTokenSource.CreateLinkedTokenSource(callCts.Token);
        var send = (ConnectRequest r, CancellationToken ct) => call.RequestStream.WriteAsync(r, ct);
        var tunnelCall = new AgentTunnelCall(info.MethodName, MetadataConversion.ToMetadata(info.Meta), requests.Reader, send);
        var pump = PumpRequestsAsync(call.ResponseStream, requests.Writer, handlerCts, callCts.Token);

        Status? error = null;
        if (!TrySplitMethod(info.MethodName, out var service, out var method) || !manager.TryGetHandler(service, out var handler) || !handler.MethodNames.Contains(method))
        {
            error = new Status(StatusCode.Unimplemented, $"agent does not serve {info.MethodName}");
        }
        else
        {
            try
            {
                await handler.HandleAsync(tunnelCall, handlerCts.Token).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                error = e.Status;
            }
            catch (OperationCanceledException) when (handlerCts.IsCancellationRequested)
            {
                error = new Status(StatusCode.Cancelled, "cancelled");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                error = new Status(StatusCode.Internal, e.Message);
            }
        }

        if (error is { } failed)
        {
            TunnelLog.TunnelRequestFailed(manager.Logger, info.MethodName, failed.StatusCode, failed.Detail);
        }

        if (!handlerCts.IsCancellationRequested)
        {
            try
            {
                await tunnelCall.FinishAsync(error, callCts.Token).ConfigureAwait(false);
                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or IOException or InvalidOperationException or OperationCanceledException)
            {
                // KAS went away; nothing left to tell it.
            }
        }

        // Wait until KAS ends the stream (it does once it read our end), so the next stream starts clean.
        await Observe(pump).ConfigureAwait(false);
    }

    /// <summary>Reads KAS's frames: message* → [close_send] → EOF. EOF before we finished cancels the handler.</summary>
    private static async Task PumpRequestsAsync(IAsyncStreamReader<ConnectResponse> responses, ChannelWriter<ByteString> requests, CancellationTokenSource handlerCts, CancellationToken ct)
    {
        var closed = false;
        try
        {
            while (await responses.MoveNext(ct).ConfigureAwait(false))
            {
                var frame = responses.Current;
                switch (frame.MsgCase)
                {
                    case ConnectResponse.MsgOneofCase.Message when !closed:
                        await requests.WriteAsync(frame.Message.Data, handlerCts.Token).ConfigureAwait(false);
                        break;
                    case ConnectResponse.MsgOneofCase.CloseSend when !closed:
                        closed = true;
                        requests.TryComplete();
                        break;
                    default:
                        throw new TunnelProtocolException($"KAS sent '{frame.MsgCase}' {(closed ? "after close_send" : "in a request")}.");
                }
            }
        }
        catch (Exception e)
        {
            requests.TryComplete(e);
            await handlerCts.CancelAsync().ConfigureAwait(false);
            throw;
        }

        // KAS is done with this stream: if the handler still runs, the caller went away.
        requests.TryComplete();
        await handlerCts.CancelAsync().ConfigureAwait(false);
    }

    private static bool TrySplitMethod(string fullName, out string service, out string method)
    {
        service = method = string.Empty;
        if (fullName.Length < 4 || fullName[0] != '/')
        {
            return false;
        }

        var slash = fullName.IndexOf('/', 1);
        if (slash < 0 || slash == fullName.Length - 1)
        {
            return false;
        }

        service = fullName[1..slash];
        method = fullName[(slash + 1)..];
        return true;
    }

    private static async Task Observe(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or IOException or InvalidOperationException or OperationCanceledException or TunnelProtocolException or ChannelClosedException)
        {
        }
    }
}

/// <summary>KAS broke the tunnel's frame order.</summary>
internal sealed class TunnelProtocolException(string message) : Exception(message);
