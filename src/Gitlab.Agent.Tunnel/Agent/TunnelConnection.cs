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
        // Not linked to `stopping`: an idle stream is closed gracefully on shutdown (see RetireAsync).
        using var callCts = new CancellationTokenSource();
        using var call = manager.Client.Connect(new CallOptions(cancellationToken: callCts.Token, writeOptions: manager.FrameWriteOptions));
        manager.Metrics.AgentConnections.Add(1);
        try
        {
            Task<bool> next;
            using (stopping.Register(static c => ((CancellationTokenSource)c!).Cancel(), callCts))
            {
                await call.RequestStream.WriteAsync(manager.Descriptor, callCts.Token).ConfigureAwait(false);
            }

            next = call.ResponseStream.MoveNext(callCts.Token);
            var stoppedSource = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var stoppedRegistration = stopping.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), stoppedSource);
            var stopped = stoppedSource.Task;
            while (true)
            {
                using var idleTimer = new CancellationTokenSource();
                var idle = Task.Delay(manager.Options.MaxIdleTime, manager.TimeProvider, idleTimer.Token);
                var first = await Task.WhenAny(next, idle, stopped).ConfigureAwait(false);
                idleTimer.CancelInline();
                if (first == next)
                {
                    break;
                }

                if (first == stopped || manager.TryRetireIdle())
                {
                    await RetireAsync(call, next, callCts).ConfigureAwait(false);
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
                using var stop = stopping.Register(static c => ((CancellationTokenSource)c!).Cancel(), callCts);
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

    /// <summary>
    /// Closes an idle stream without reading anything more: tells KAS with the retired signal (so a request that KAS
    /// claimed at this very moment moves to another tunnel), half-closes, and waits briefly for KAS to end the stream.
    /// </summary>
    private static async Task RetireAsync(AsyncDuplexStreamingCall<ConnectRequest, ConnectResponse> call, Task<bool> next, CancellationTokenSource callCts)
    {
        try
        {
            callCts.CancelAfter(TimeSpan.FromSeconds(5));
            await call.RequestStream.WriteAsync(new ConnectRequest
            {
                Error = new Error { Status = new Protocol.GoogleRpc.Status { Code = (int)StatusCode.Unavailable, Message = TunnelSignals.RetiredMessage } },
            }, callCts.Token).ConfigureAwait(false);
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            var more = await next.ConfigureAwait(false);
            while (more)
            {
                more = await call.ResponseStream.MoveNext(callCts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is RpcException or IOException or InvalidOperationException or OperationCanceledException)
        {
            // KAS is gone or slow: the stream is dropped anyway.
        }
        finally
        {
            await callCts.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task ServeAsync(AsyncDuplexStreamingCall<ConnectRequest, ConnectResponse> call, RequestInfo info, CancellationTokenSource callCts)
    {
        manager.Metrics.AgentRequests.Add(1);
        TunnelLog.TunnelRequestStarted(manager.Logger, info.MethodName);
        // The handler continues inline on the pump: one thread-pool hop less per request frame.
        var requests = Channel.CreateBounded<ByteString>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });
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
            handlerCts.CancelInline();
            throw;
        }

        // KAS is done with this stream: if the handler still runs, the caller went away.
        requests.TryComplete();
        handlerCts.CancelInline();
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
