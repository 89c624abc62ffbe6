using Gitlab.Agent.Protocol.ReverseTunnel;
using Gitlab.Agent.Tunnel.Internal;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Tunnel.Server;

/// <summary>
/// <c>gitlab.agent.reverse_tunnel.rpc.ReverseTunnel/Connect</c> on the agent listener: parks each stream (after its
/// descriptor) until a call claims it, then stays open until that call is done.
/// </summary>
internal sealed class ReverseTunnelService(
    AgentIdentityResolver identities,
    TunnelRegistry registry,
    TunnelMetrics metrics,
    ILogger<ReverseTunnelService> logger) : ReverseTunnel.ReverseTunnelBase
{
    private static long s_nextTunnelId;

    public override async Task Connect(IAsyncStreamReader<ConnectRequest> requestStream, IServerStreamWriter<ConnectResponse> responseStream, ServerCallContext context)
    {
        var agent = await identities.ResolveAsync(context).ConfigureAwait(false);
        var ct = context.CancellationToken;
        if (!await requestStream.MoveNext(ct).ConfigureAwait(false))
        {
            return;
        }

        if (requestStream.Current.MsgCase != ConnectRequest.MsgOneofCase.Descriptor_ || requestStream.Current.Descriptor_.AgentDescriptor is null)
        {
            TunnelLog.TunnelRejected(logger, "first message was not a descriptor");
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"first tunnel message must be 'descriptor', got '{requestStream.Current.MsgCase}'"));
        }

        var tunnel = new ServerTunnel(Interlocked.Increment(ref s_nextTunnelId), agent.AgentId, requestStream.Current.Descriptor_.AgentDescriptor, requestStream, responseStream, context.GetHttpContext().Response.BodyWriter);
        var idleRead = tunnel.StartIdleRead(ct);
        metrics.TunnelOpened(agent.AgentId);
        try
        {
            registry.Register(tunnel);
            TunnelLog.TunnelRegistered(logger, agent.AgentId, tunnel.Id);
            await Task.WhenAny(idleRead, tunnel.ClaimedTask).ConfigureAwait(false);
            if (!tunnel.ClaimedTask.IsCompleted && registry.TryRemoveIdle(tunnel))
            {
                TunnelLog.TunnelClosedIdle(logger, agent.AgentId, tunnel.Id);
                _ = idleRead.Exception;
                if (idleRead.IsCompletedSuccessfully && await idleRead.ConfigureAwait(false)
                    && requestStream.Current.MsgCase != ConnectRequest.MsgOneofCase.Error)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"unexpected '{requestStream.Current.MsgCase}' on an idle tunnel"));
                }

                return;
            }

            // Claimed: stay until the call through this tunnel is done (or the agent/KAS goes away).
            await tunnel.Done.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Agent went away or KAS is stopping.
        }
        finally
        {
            metrics.TunnelClosed(agent.AgentId);
        }
    }
}
