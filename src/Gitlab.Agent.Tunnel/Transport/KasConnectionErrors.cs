using System.Net.Http;
using Grpc.Core;

namespace Gitlab.Agent.Tunnel.Transport;

/// <summary>Turns transport failures between agentk and KAS into messages that say what to fix.</summary>
public static class KasConnectionErrors
{
    /// <summary>
    /// Returns an explanation when <paramref name="error"/> shows a scheme mismatch between the agent's KAS address and
    /// the KAS listener (for example <c>grpc://</c> against a WebSocket listener), otherwise <see langword="null"/>.
    /// </summary>
    public static string? ExplainSchemeMismatch(Uri kasAddress, Exception error)
    {
        ArgumentNullException.ThrowIfNull(kasAddress);
        ArgumentNullException.ThrowIfNull(error);
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is HttpProtocolException { ErrorCode: 0xd } || e.Message.Contains("HTTP_1_1_REQUIRED", StringComparison.Ordinal))
            {
                return kasAddress.Scheme is "grpc" or "grpcs"
                    ? $"KAS at {kasAddress} answered HTTP_1_1_REQUIRED: it is a WebSocket agent listener (agent.listen.websocket: true); use a ws:// or wss:// KAS address."
                    : $"KAS at {kasAddress} answered HTTP_1_1_REQUIRED to an HTTP/2 request.";
            }

            if (e is RpcException rpc && rpc.StatusCode == StatusCode.FailedPrecondition && rpc.Status.Detail.Contains("ws://", StringComparison.Ordinal))
            {
                return rpc.Status.Detail;
            }

            if (e is RpcException { Status.DebugException: { } debug } && debug != e && ExplainSchemeMismatch(kasAddress, debug) is { } inner)
            {
                return inner;
            }
        }

        return null;
    }
}
