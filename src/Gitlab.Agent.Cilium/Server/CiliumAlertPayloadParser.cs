using System.Globalization;
using System.Text.Json;
using Gitlab.Agent.Cilium.Alerts;
using Gitlab.Agent.Protocol.Cilium.Flow;
using Google.Protobuf;

namespace Gitlab.Agent.Cilium.Server;

/// <summary>
/// Validates a <c>cilium_alert</c> request body and turns it into a <see cref="CiliumAlert"/> report. Required:
/// <c>alert.flow</c> (a Hubble flow in protojson form) and <c>alert.ciliumNetworkPolicy</c> with <c>metadata.name</c>
/// and <c>metadata.namespace</c>. Optional (sent by this SDK's agent): <c>fingerprint</c>, <c>count</c>,
/// <c>first_seen</c>, <c>last_seen</c>, <c>dropped</c>, <c>dropped_flows</c>. Requests from GitLab's own agent (only
/// flow and policy) are accepted; their fingerprint is computed here.
/// </summary>
internal static class CiliumAlertPayloadParser
{
    private const int MaxDepth = 64;
    private static readonly JsonParser FlowParser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true).WithRecursionLimit(MaxDepth));

    public static bool TryParse(ReadOnlyMemory<byte> body, long agentId, DateTimeOffset now, out CiliumAlert? alert, out string error)
    {
        alert = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            error = $"request body is not valid JSON: {e.Message}";
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = $"request body: expected a JSON object, got {Describe(root.ValueKind)}";
                return false;
            }

            if (!TryGetObject(root, AlertPayload.AlertProperty, "", out var alertElement, out error) ||
                !TryGetObject(alertElement, AlertPayload.FlowProperty, "alert.", out var flowElement, out error) ||
                !TryGetObject(alertElement, AlertPayload.PolicyProperty, "alert.", out var policyElement, out error) ||
                !TryGetObject(policyElement, "metadata", $"alert.{AlertPayload.PolicyProperty}.", out var metadata, out error) ||
                !TryGetName(metadata, "name", out var policyName, out error) ||
                !TryGetName(metadata, "namespace", out var policyNamespace, out error))
            {
                return false;
            }

            Flow flow;
            try
            {
                flow = FlowParser.Parse<Flow>(flowElement.GetRawText());
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or FormatException)
            {
                error = $"alert.flow: not a Hubble flow in protojson form: {e.Message}";
                return false;
            }

            if (!TryGetFingerprint(alertElement, out var fingerprint, out error) ||
                !TryGetCount(alertElement, AlertPayload.CountProperty, 1, 1, out var count, out error) ||
                !TryGetCount(alertElement, AlertPayload.DroppedProperty, 0, 0, out var droppedAlerts, out error) ||
                !TryGetCount(alertElement, AlertPayload.DroppedFlowsProperty, 0, 0, out var droppedFlows, out error))
            {
                return false;
            }

            var flowTime = flow.Time is null ? now : flow.Time.ToDateTimeOffset();
            if (!TryGetTime(alertElement, AlertPayload.FirstSeenProperty, flowTime, out var firstSeen, out error) ||
                !TryGetTime(alertElement, AlertPayload.LastSeenProperty, firstSeen, out var lastSeen, out error))
            {
                return false;
            }

            if (lastSeen < firstSeen)
            {
                error = $"alert.{AlertPayload.LastSeenProperty} ({lastSeen:o}) is before alert.{AlertPayload.FirstSeenProperty} ({firstSeen:o})";
                return false;
            }

            alert = new CiliumAlert
            {
                AgentId = agentId,
                Fingerprint = fingerprint ?? AlertFingerprint.Compute(flow, policyNamespace, policyName),
                PolicyNamespace = policyNamespace,
                PolicyName = policyName,
                TrafficDirection = EnumName(flow.TrafficDirection),
                Verdict = EnumName(flow.Verdict),
                DropReason = flow.DropReasonDesc != DropReason.Unknown ? EnumName(flow.DropReasonDesc) : string.Empty,
                Source = Describe(flow.Source, flow.IP?.Source),
                Destination = Describe(flow.Destination, flow.IP?.Destination),
                Count = count,
                DroppedAlerts = droppedAlerts,
                DroppedFlows = droppedFlows,
                FirstSeen = firstSeen,
                LastSeen = lastSeen,
                ReceivedAt = now,
                Payload = alertElement.GetRawText(),
            };
            error = string.Empty;
            return true;
        }
    }

    private static bool TryGetObject(JsonElement parent, string name, string path, out JsonElement value, out string error)
    {
        if (!parent.TryGetProperty(name, out value))
        {
            error = $"{path}{name}: required object is missing";
            return false;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            error = $"{path}{name}: expected an object, got {Describe(value.ValueKind)}";
            return false;
        }

        error = string.Empty;
        return true;
    }

    private static bool TryGetName(JsonElement metadata, string name, out string value, out string error)
    {
        var path = $"alert.{AlertPayload.PolicyProperty}.metadata.{name}";
        value = string.Empty;
        if (!metadata.TryGetProperty(name, out var element) || element.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(element.GetString()))
        {
            error = $"{path}: required non-empty string";
            return false;
        }

        value = element.GetString()!;
        if (value.Length > 253)
        {
            error = $"{path}: longer than 253 characters";
            return false;
        }

        error = string.Empty;
        return true;
    }

    private static bool TryGetFingerprint(JsonElement alert, out string? fingerprint, out string error)
    {
        fingerprint = null;
        error = string.Empty;
        if (!alert.TryGetProperty(AlertPayload.FingerprintProperty, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        var text = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        if (string.IsNullOrEmpty(text) || text.Length > 128 || !text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            error = $"alert.{AlertPayload.FingerprintProperty}: expected 1 to 128 letters, digits, '-' or '_'";
            return false;
        }

        fingerprint = text;
        return true;
    }

    private static bool TryGetCount(JsonElement alert, string name, long missing, long minimum, out long value, out string error)
    {
        value = missing;
        error = string.Empty;
        if (!alert.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out value) || value < minimum)
        {
            error = $"alert.{name}: expected an integer of at least {minimum}, got {element.GetRawText()}";
            return false;
        }

        return true;
    }

    private static bool TryGetTime(JsonElement alert, string name, DateTimeOffset missing, out DateTimeOffset value, out string error)
    {
        value = missing;
        error = string.Empty;
        if (!alert.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.String ||
            !DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value))
        {
            error = $"alert.{name}: expected an RFC 3339 time, got {element.GetRawText()}";
            return false;
        }

        return true;
    }

    private static string EnumName<T>(T value)
        where T : struct, Enum
    {
        var field = typeof(T).GetField(value.ToString());
        var original = field?.GetCustomAttributes(typeof(Google.Protobuf.Reflection.OriginalNameAttribute), false)
            .OfType<Google.Protobuf.Reflection.OriginalNameAttribute>().FirstOrDefault();
        return original?.Name ?? Convert.ToInt32(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
    }

    private static string Describe(Endpoint? endpoint, string? ip)
    {
        if (endpoint is { PodName.Length: > 0 })
        {
            return endpoint.Namespace.Length > 0 ? $"{endpoint.Namespace}/{endpoint.PodName}" : endpoint.PodName;
        }

        if (!string.IsNullOrEmpty(ip))
        {
            return ip;
        }

        return endpoint?.Labels.FirstOrDefault(l => l.StartsWith("reserved:", StringComparison.Ordinal)) ?? string.Empty;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };
}
