using System.Buffers;
using System.Text.Json;

namespace Gitlab.Agent.Cilium.Server;

/// <summary>The JSON form of stored alerts served by the KAS API (snake_case, times in RFC 3339).</summary>
internal static class CiliumAlertJson
{
    public static string Write(IEnumerable<CiliumAlert> alerts)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var alert in alerts)
            {
                writer.WriteStartObject();
                writer.WriteNumber("agent_id", alert.AgentId);
                writer.WriteString("fingerprint", alert.Fingerprint);
                writer.WriteStartObject("policy");
                writer.WriteString("namespace", alert.PolicyNamespace);
                writer.WriteString("name", alert.PolicyName);
                writer.WriteEndObject();
                writer.WriteString("traffic_direction", alert.TrafficDirection);
                writer.WriteString("verdict", alert.Verdict);
                writer.WriteString("drop_reason", alert.DropReason);
                writer.WriteString("source", alert.Source);
                writer.WriteString("destination", alert.Destination);
                writer.WriteNumber("count", alert.Count);
                writer.WriteNumber("dropped_alerts", alert.DroppedAlerts);
                writer.WriteNumber("dropped_flows", alert.DroppedFlows);
                writer.WriteNumber("reports", alert.Reports);
                writer.WriteString("first_seen", alert.FirstSeen.UtcDateTime);
                writer.WriteString("last_seen", alert.LastSeen.UtcDateTime);
                writer.WriteString("received_at", alert.ReceivedAt.UtcDateTime);
                writer.WritePropertyName("alert");
                writer.WriteRawValue(alert.Payload);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
