using Gitlab.Agent.Cilium.Policies;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Cilium.Agent;

/// <summary>Log messages of the agent half (event ids 6000–6499).</summary>
internal static partial class CiliumAgentLog
{
    [LoggerMessage(EventId = 6000, EventName = "HubbleConnecting", Level = LogLevel.Debug, Message = "Following Hubble Relay {Address} from {Since}")]
    public static partial void HubbleConnecting(ILogger logger, Uri address, Google.Protobuf.WellKnownTypes.Timestamp since);

    [LoggerMessage(EventId = 6001, EventName = "HubbleStreamEnded", Level = LogLevel.Information, Message = "Hubble Relay {Address} ended the flow stream; reconnecting in {Delay}")]
    public static partial void HubbleStreamEnded(ILogger logger, Uri address, TimeSpan delay);

    [LoggerMessage(EventId = 6002, EventName = "HubbleStreamFailed", Level = LogLevel.Warning, Message = "Hubble Relay {Address} flow stream failed with {StatusCode}: {Detail}; reconnecting in {Delay}")]
    public static partial void HubbleStreamFailed(ILogger logger, Uri address, StatusCode statusCode, string detail, TimeSpan delay);

    [LoggerMessage(EventId = 6003, EventName = "HubbleNodeError", Level = LogLevel.Warning, Message = "Hubble Relay reports an error on nodes {Nodes}: {Message}")]
    public static partial void HubbleNodeError(ILogger logger, string nodes, string message);

    [LoggerMessage(EventId = 6004, EventName = "HubbleNodeUnavailable", Level = LogLevel.Warning, Message = "Hubble Relay reports nodes {Nodes} as {State}; their flows are missing")]
    public static partial void HubbleNodeUnavailable(ILogger logger, string nodes, string state);

    [LoggerMessage(EventId = 6005, EventName = "HubbleNodeConnected", Level = LogLevel.Debug, Message = "Hubble Relay connected to nodes {Nodes}")]
    public static partial void HubbleNodeConnected(ILogger logger, string nodes);

    [LoggerMessage(EventId = 6006, EventName = "HubbleLostEvents", Level = LogLevel.Warning, Message = "Hubble lost {Count} events ({Source}) on {Node}; alerts for them cannot be raised")]
    public static partial void HubbleLostEvents(ILogger logger, ulong count, string source, string node);

    [LoggerMessage(EventId = 6007, EventName = "FlowProcessingFailed", Level = LogLevel.Error, Message = "Processing a Hubble flow failed; the flow is skipped")]
    public static partial void FlowProcessingFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6008, EventName = "InvalidHubbleAddress", Level = LogLevel.Error, Message = "Agent configuration cilium.hubble_relay_address \"{Address}\" is invalid: {Reason}; Cilium alerts are off until it is fixed")]
    public static partial void InvalidHubbleAddress(ILogger logger, string address, string reason);

    [LoggerMessage(EventId = 6009, EventName = "CiliumStarted", Level = LogLevel.Information, Message = "Cilium alerts enabled: following Hubble Relay {Address}")]
    public static partial void CiliumStarted(ILogger logger, Uri address);

    [LoggerMessage(EventId = 6010, EventName = "CiliumStopped", Level = LogLevel.Information, Message = "Cilium alerts disabled (no cilium section in the agent configuration)")]
    public static partial void CiliumStopped(ILogger logger);

    [LoggerMessage(EventId = 6011, EventName = "PolicyCacheSynced", Level = LogLevel.Information, Message = "CiliumNetworkPolicy cache synced: {Count} policies, {AlertCount} with app.gitlab.com/alert=true")]
    public static partial void PolicyCacheSynced(ILogger logger, int count, int alertCount);

    [LoggerMessage(EventId = 6012, EventName = "PolicyListFailed", Level = LogLevel.Warning, Message = "Listing or watching CiliumNetworkPolicies (cilium.io/v2) failed; retrying in {Delay}")]
    public static partial void PolicyListFailed(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(EventId = 6013, EventName = "PolicyWatchExpired", Level = LogLevel.Debug, Message = "CiliumNetworkPolicy watch ended ({Reason}); listing again")]
    public static partial void PolicyWatchExpired(ILogger logger, string reason);

    [LoggerMessage(EventId = 6014, EventName = "PolicyInvalid", Level = LogLevel.Warning, Message = "Ignoring invalid policy: {Message}")]
    public static partial void PolicyInvalid(ILogger logger, string message);

    [LoggerMessage(EventId = 6015, EventName = "AlertDelivered", Level = LogLevel.Debug, Message = "Delivered alert {Fingerprint} for policy {Policy} ({Count} flows)")]
    public static partial void AlertDelivered(ILogger logger, string fingerprint, CiliumPolicy policy, long count);

    [LoggerMessage(EventId = 6016, EventName = "AlertDeliveryFailed", Level = LogLevel.Warning, Message = "Sending a Cilium alert through KAS failed ({Reason}); {Queued} alerts queued, retrying in {Delay}")]
    public static partial void AlertDeliveryFailed(ILogger logger, string reason, int queued, TimeSpan delay);

    [LoggerMessage(EventId = 6017, EventName = "AlertRejected", Level = LogLevel.Error, Message = "KAS rejected Cilium alert {Fingerprint} with HTTP {StatusCode}: {Body}; the alert is dropped")]
    public static partial void AlertRejected(ILogger logger, string fingerprint, int statusCode, string body);

    [LoggerMessage(EventId = 6018, EventName = "AlertQueueFull", Level = LogLevel.Warning, Message = "Cilium alert queue is full ({Capacity}); dropped an alert of policy {Policy} ({Count} flows). Not yet reported: {Alerts} alerts, {Flows} flows")]
    public static partial void AlertQueueFull(ILogger logger, int capacity, CiliumPolicy policy, long count, long alerts, long flows);

    [LoggerMessage(EventId = 6019, EventName = "LostAlertsReported", Level = LogLevel.Information, Message = "Reported {Alerts} dropped alerts ({Flows} flows) to KAS with the next alert")]
    public static partial void LostAlertsReported(ILogger logger, long alerts, long flows);

    [LoggerMessage(EventId = 6020, EventName = "PendingAlertsFull", Level = LogLevel.Warning, Message = "{Max} distinct Cilium alerts are being aggregated; flows of new alerts are dropped and counted")]
    public static partial void PendingAlertsFull(ILogger logger, int max);
}
