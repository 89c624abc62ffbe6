using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Gitlab.Agent.Protocol.Cilium.Flow;

namespace Gitlab.Agent.Cilium.Alerts;

/// <summary>
/// Identifies "the same alert": the policy plus the parts of the flow that stay equal across repeats of one denied
/// communication. Time, flow uuid, node, TCP flags, the source port (ephemeral for both directions: the destination
/// port is the service port), endpoint ids and the URL query are left out.
/// </summary>
internal static class AlertFingerprint
{
    /// <summary>Length of a fingerprint in hex characters (160 bits, the same length as GitLab's SHA-1 fingerprints).</summary>
    public const int Length = 40;

    [ThreadStatic]
    private static StringBuilder? t_builder;

    /// <summary>Computes the fingerprint of <paramref name="flow"/> dropped by policy <paramref name="policyNamespace"/>/<paramref name="policyName"/>.</summary>
    public static string Compute(Flow flow, string policyNamespace, string policyName) => ComputeKey(flow, policyNamespace, policyName).ToString();

    /// <summary>Like <see cref="Compute"/>, as a value that allocates nothing (for dictionary keys on the hot path).</summary>
    public static FingerprintKey ComputeKey(Flow flow, string policyNamespace, string policyName)
    {
        var builder = t_builder ??= new StringBuilder(512);
        builder.Clear();
        builder.Append(policyNamespace).Append('/').Append(policyName)
            .Append('|').Append((int)flow.TrafficDirection)
            .Append('|').Append((int)flow.Verdict)
            .Append('|').Append(flow.DropReasonDesc != DropReason.Unknown ? (int)flow.DropReasonDesc : (int)flow.DropReason)
            .Append('|').Append((int)flow.Type)
            .Append('|').Append(flow.EventType?.Type ?? -1);
        AppendEndpoint(builder.Append("|src="), flow.Source, flow.IP?.Source);
        AppendEndpoint(builder.Append("|dst="), flow.Destination, flow.IP?.Destination);
        switch (flow.L4?.ProtocolCase)
        {
            case Layer4.ProtocolOneofCase.TCP:
                builder.Append("|tcp/").Append(flow.L4.TCP.DestinationPort);
                break;
            case Layer4.ProtocolOneofCase.UDP:
                builder.Append("|udp/").Append(flow.L4.UDP.DestinationPort);
                break;
            case Layer4.ProtocolOneofCase.SCTP:
                builder.Append("|sctp/").Append(flow.L4.SCTP.DestinationPort);
                break;
            case Layer4.ProtocolOneofCase.ICMPv4:
                builder.Append("|icmp4/").Append(flow.L4.ICMPv4.Type).Append('/').Append(flow.L4.ICMPv4.Code);
                break;
            case Layer4.ProtocolOneofCase.ICMPv6:
                builder.Append("|icmp6/").Append(flow.L4.ICMPv6.Type).Append('/').Append(flow.L4.ICMPv6.Code);
                break;
            default:
                builder.Append("|l4=none");
                break;
        }

        if (flow.L7 is { } l7)
        {
            builder.Append("|l7=").Append((int)l7.Type);
            if (l7.Http is { } http)
            {
                var url = http.Url;
                var query = url.IndexOf('?', StringComparison.Ordinal);
                builder.Append("|http=").Append(http.Method).Append(' ').Append(url, 0, query < 0 ? url.Length : query);
            }
            else if (l7.Dns is { } dns)
            {
                builder.Append("|dns=").Append(dns.Query);
            }
        }

        return Hash(builder);
    }

    private static void AppendEndpoint(StringBuilder builder, Endpoint? endpoint, string? ip)
    {
        if (endpoint is null)
        {
            builder.Append("ip:").Append(ip);
            return;
        }

        builder.Append(endpoint.ClusterName).Append('/').Append(endpoint.Namespace).Append('/');
        if (endpoint.PodName.Length > 0)
        {
            builder.Append(endpoint.PodName);
            return;
        }

        // Endpoints without a pod (world, host, remote nodes) are told apart by labels and address.
        if (IsSorted(endpoint.Labels))
        {
            foreach (var label in endpoint.Labels)
            {
                builder.Append(label).Append(',');
            }
        }
        else
        {
            foreach (var label in endpoint.Labels.Order(StringComparer.Ordinal))
            {
                builder.Append(label).Append(',');
            }
        }

        builder.Append("ip:").Append(ip);
    }

    private static bool IsSorted(IReadOnlyList<string> labels)
    {
        for (var i = 1; i < labels.Count; i++)
        {
            if (string.CompareOrdinal(labels[i - 1], labels[i]) > 0)
            {
                return false;
            }
        }

        return true;
    }

    private static FingerprintKey Hash(StringBuilder builder)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(builder.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(maxBytes);
        try
        {
            var written = 0;
            foreach (var chunk in builder.GetChunks())
            {
                written += Encoding.UTF8.GetBytes(chunk.Span, buffer.AsSpan(written));
            }

            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer.AsSpan(0, written), hash);
            return new FingerprintKey(
                BinaryPrimitives.ReadUInt64BigEndian(hash),
                BinaryPrimitives.ReadUInt64BigEndian(hash[8..]),
                BinaryPrimitives.ReadUInt32BigEndian(hash[16..]));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>The 160 bits of an alert fingerprint; <see cref="ToString"/> gives the 40-character hex form.</summary>
internal readonly record struct FingerprintKey(ulong High, ulong Middle, uint Low)
{
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[20];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, High);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], Middle);
        BinaryPrimitives.WriteUInt32BigEndian(bytes[16..], Low);
        return Convert.ToHexStringLower(bytes);
    }
}
