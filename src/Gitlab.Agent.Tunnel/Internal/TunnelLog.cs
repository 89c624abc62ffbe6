using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Tunnel.Internal;

/// <summary>Source-generated log messages of the tunnel package (event ids 5000–5999).</summary>
internal static partial class TunnelLog
{
    // KAS side: 5100–5199.
    [LoggerMessage(EventId = 5100, EventName = "TunnelRegistered", Level = LogLevel.Debug, Message = "Agent {AgentId} opened tunnel {TunnelId}")]
    public static partial void TunnelRegistered(ILogger logger, long agentId, long tunnelId);

    [LoggerMessage(EventId = 5101, EventName = "TunnelClosedIdle", Level = LogLevel.Debug, Message = "Agent {AgentId} closed idle tunnel {TunnelId}")]
    public static partial void TunnelClosedIdle(ILogger logger, long agentId, long tunnelId);

    [LoggerMessage(EventId = 5102, EventName = "TunnelNotFound", Level = LogLevel.Warning, Message = "No tunnel from agent {AgentId} for {Method} within {Timeout}")]
    public static partial void TunnelNotFound(ILogger logger, long agentId, string method, TimeSpan timeout);

    [LoggerMessage(EventId = 5103, EventName = "TunnelCallFailed", Level = LogLevel.Information, Message = "Call {Method} to agent {AgentId} through tunnel {TunnelId} failed: {StatusCode} {Detail}")]
    public static partial void TunnelCallFailed(ILogger logger, string method, long agentId, long tunnelId, Grpc.Core.StatusCode statusCode, string detail);

    [LoggerMessage(EventId = 5104, EventName = "TunnelRejected", Level = LogLevel.Information, Message = "Rejected a tunnel: {Reason}")]
    public static partial void TunnelRejected(ILogger logger, string reason);

    // Agent side: 5200–5299.
    [LoggerMessage(EventId = 5200, EventName = "TunnelConnectFailed", Level = LogLevel.Warning, Message = "Tunnel to KAS failed, retrying in {Delay}: {Error}")]
    public static partial void TunnelConnectFailed(ILogger logger, TimeSpan delay, string error);

    [LoggerMessage(EventId = 5201, EventName = "TunnelRequestStarted", Level = LogLevel.Debug, Message = "Tunnel request {Method}")]
    public static partial void TunnelRequestStarted(ILogger logger, string method);

    [LoggerMessage(EventId = 5202, EventName = "TunnelRequestFailed", Level = LogLevel.Information, Message = "Tunnel request {Method} failed: {StatusCode} {Detail}")]
    public static partial void TunnelRequestFailed(ILogger logger, string method, Grpc.Core.StatusCode statusCode, string detail);

    [LoggerMessage(EventId = 5203, EventName = "TunnelPoolGrown", Level = LogLevel.Debug, Message = "Opening {Count} more tunnels (idle {Idle}, total {Total})")]
    public static partial void TunnelPoolGrown(ILogger logger, int count, int idle, int total);

    [LoggerMessage(EventId = 5204, EventName = "TunnelIdleRetired", Level = LogLevel.Debug, Message = "Closed an idle tunnel (idle {Idle}, total {Total})")]
    public static partial void TunnelIdleRetired(ILogger logger, int idle, int total);

    [LoggerMessage(EventId = 5205, EventName = "TunnelSchemeMismatch", Level = LogLevel.Error, Message = "{Explanation}")]
    public static partial void TunnelSchemeMismatch(ILogger logger, string explanation);

    // Kubernetes API proxy (KAS): 5300–5399.
    [LoggerMessage(EventId = 5300, EventName = "ProxyRequestFailed", Level = LogLevel.Information, Message = "Kubernetes API proxy request {Method} {Path} for agent {AgentId} failed: {Error}")]
    public static partial void ProxyRequestFailed(ILogger logger, string method, string path, long agentId, string error);

    [LoggerMessage(EventId = 5301, EventName = "ProxyUnauthorized", Level = LogLevel.Debug, Message = "Kubernetes API proxy refused a request with {Status}: {Reason}")]
    public static partial void ProxyRefused(ILogger logger, int status, string reason);

    // Kubernetes API (agent): 5400–5499.
    [LoggerMessage(EventId = 5400, EventName = "KubernetesRequestFailed", Level = LogLevel.Information, Message = "Kubernetes API request {Method} {Path} failed: {Error}")]
    public static partial void KubernetesRequestFailed(ILogger logger, string method, string path, string error);
}
