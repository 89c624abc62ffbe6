using Gitlab.Agent.Protocol.Prototool;
using Google.Protobuf.Collections;
using Grpc.Core;

namespace Gitlab.Agent.Tunnel.Internal;

/// <summary>Converts gRPC metadata to and from the tunnel's <c>map&lt;string, prototool.Values&gt;</c>.</summary>
internal static class MetadataConversion
{
    /// <summary>
    /// Copies text entries of <paramref name="metadata"/> into <paramref name="target"/>; binary (<c>-bin</c>) entries are
    /// skipped because the wire carries strings.
    /// </summary>
    public static void CopyTo(Metadata? metadata, MapField<string, Values> target)
    {
        if (metadata is null)
        {
            return;
        }

        foreach (var entry in metadata)
        {
            if (entry.IsBinary)
            {
                continue;
            }

            if (!target.TryGetValue(entry.Key, out var values))
            {
                values = new Values();
                target[entry.Key] = values;
            }

            values.Value.Add(entry.Value);
        }
    }

    public static Metadata ToMetadata(MapField<string, Values> source)
    {
        var metadata = new Metadata();
        foreach (var (key, values) in source)
        {
            if (key.EndsWith(Metadata.BinaryHeaderSuffix, StringComparison.OrdinalIgnoreCase) || key.StartsWith(':'))
            {
                continue;
            }

            foreach (var value in values.Value)
            {
                metadata.Add(key, value);
            }
        }

        return metadata;
    }
}
