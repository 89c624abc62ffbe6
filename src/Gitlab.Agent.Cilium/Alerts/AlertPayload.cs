using System.Buffers;
using System.Text.Json;
using Google.Protobuf;

namespace Gitlab.Agent.Cilium.Alerts;

/// <summary>
/// The JSON body agentk posts for the <c>cilium_alert</c> module, wire-compatible with GitLab:
/// <c>{"alert":{"flow":&lt;flow protojson&gt;,"ciliumNetworkPolicy":&lt;policy&gt;, ...}}</c>. GitLab reads <c>flow</c> and
/// <c>ciliumNetworkPolicy</c> (and, in early versions, <c>fingerprint</c>); the extra keys inside <c>alert</c>
/// (<c>count</c>, <c>first_seen</c>, <c>last_seen</c>, <c>dropped</c>, <c>dropped_flows</c>) are ignored by GitLab.
/// </summary>
internal static class AlertPayload
{
    public const string ModuleName = "cilium_alert";
    public const string AlertProperty = "alert";
    public const string FlowProperty = "flow";
    public const string PolicyProperty = "ciliumNetworkPolicy";
    public const string FingerprintProperty = "fingerprint";
    public const string CountProperty = "count";
    public const string FirstSeenProperty = "first_seen";
    public const string LastSeenProperty = "last_seen";
    public const string DroppedProperty = "dropped";
    public const string DroppedFlowsProperty = "dropped_flows";

    private static readonly JsonFormatter FlowFormatter = new(JsonFormatter.Settings.Default);

    /// <summary>Serializes <paramref name="alert"/>, reporting <paramref name="droppedAlerts"/>/<paramref name="droppedFlows"/> lost before it.</summary>
    public static byte[] Write(AlertToSend alert, long droppedAlerts, long droppedFlows)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject(AlertProperty);
            writer.WritePropertyName(FlowProperty);
            writer.WriteRawValue(FlowFormatter.Format(alert.Flow), skipInputValidation: true);
            writer.WritePropertyName(PolicyProperty);
            writer.WriteRawValue(alert.Policy.Json.Span, skipInputValidation: true);
            writer.WriteString(FingerprintProperty, alert.Fingerprint);
            writer.WriteNumber(CountProperty, alert.Count);
            writer.WriteString(FirstSeenProperty, alert.FirstSeen.UtcDateTime);
            writer.WriteString(LastSeenProperty, alert.LastSeen.UtcDateTime);
            writer.WriteNumber(DroppedProperty, droppedAlerts);
            writer.WriteNumber(DroppedFlowsProperty, droppedFlows);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
