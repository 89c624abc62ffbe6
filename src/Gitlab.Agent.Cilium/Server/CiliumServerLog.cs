using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Cilium.Server;

/// <summary>Log messages of the KAS half (event ids 6500–6999).</summary>
internal static partial class CiliumServerLog
{
    [LoggerMessage(EventId = 6500, EventName = "AlertRejected", Level = LogLevel.Information, Message = "Rejected Cilium alert from agent {AgentId}: {Reason}")]
    public static partial void AlertRejected(ILogger logger, long agentId, string reason);

    [LoggerMessage(EventId = 6501, EventName = "AlertStored", Level = LogLevel.Debug, Message = "Stored Cilium alert {Fingerprint} of agent {AgentId} for policy {Namespace}/{Policy}: {Count} flows in total")]
    public static partial void AlertStored(ILogger logger, string fingerprint, long agentId, string @namespace, string policy, long count);

    [LoggerMessage(EventId = 6502, EventName = "AgentDroppedAlerts", Level = LogLevel.Warning, Message = "Agent {AgentId} reports {Alerts} Cilium alerts ({Flows} flows) it had to drop")]
    public static partial void AgentDroppedAlerts(ILogger logger, long agentId, long alerts, long flows);

    [LoggerMessage(EventId = 6503, EventName = "GitlabForwardFailed", Level = LogLevel.Warning, Message = "Forwarding Cilium alert {Fingerprint} of agent {AgentId} to GitLab failed: {Reason}")]
    public static partial void GitlabForwardFailed(ILogger logger, string fingerprint, long agentId, string reason);

    [LoggerMessage(EventId = 6504, EventName = "GitlabForwardSkipped", Level = LogLevel.Warning, Message = "Not forwarding Cilium alert of agent {AgentId} to GitLab: the request carries no agent token")]
    public static partial void GitlabForwardSkipped(ILogger logger, long agentId);
}
