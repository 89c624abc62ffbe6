using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Registry;

namespace Gitlab.Agent.Testing.Storage;

/// <summary>
/// One committed object. Immutable: <see cref="Json"/> is the serialized object, plus the few fields lists, selectors
/// and controllers look at. No JSON tree is kept: the store (and its watch history) retains a handful of objects per
/// version instead of one per JSON node, which keeps garbage collection cheap at thousands of writes per second.
/// </summary>
internal sealed class StoredObject
{
    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>(StringComparer.Ordinal);

    private StoredObject(ResourceType type, JsonObject obj, byte[] json, long rv)
    {
        Type = type;
        Json = json;
        ResourceVersion = rv;
        var meta = obj["metadata"] as JsonObject;
        Namespace = meta?["namespace"]?.GetValue<string>() ?? string.Empty;
        Name = meta?["name"]?.GetValue<string>() ?? string.Empty;
        Uid = meta?["uid"]?.GetValue<string>() ?? string.Empty;
        Labels = ReadStringMap(meta?["labels"]);
        DeletionRequested = meta?["deletionTimestamp"] is not null;
        Fields = ComputeFields(type, obj, Namespace, Name);
        OwnerUids = meta?["ownerReferences"] is JsonArray owners
            ? owners.Select(o => o?["uid"]?.GetValue<string>()).OfType<string>().ToArray()
            : [];
        Finalizers = meta?["finalizers"] is JsonArray fin ? fin.Select(f => f?.GetValue<string>()).OfType<string>().ToArray() : [];
    }

    public ResourceType Type { get; }

    public string StorageKey => Type.StorageKey;

    /// <summary>The object, parsed from <see cref="Json"/> on each call (a private copy, like <see cref="Clone"/>).</summary>
    public JsonObject Object => Clone();

    public byte[] Json { get; }

    public long ResourceVersion { get; }

    public string Namespace { get; }

    public string Name { get; }

    public string Uid { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    public IReadOnlyDictionary<string, string> Fields { get; }

    public IReadOnlyList<string> OwnerUids { get; }

    public IReadOnlyList<string> Finalizers { get; }

    public bool DeletionRequested { get; }

    /// <summary>A private, mutable copy of the object.</summary>
    public JsonObject Clone() => (JsonObject)JsonNode.Parse(Json)!;

    /// <summary>Builds a stored object, stamping <paramref name="rv"/> into metadata.resourceVersion.</summary>
    public static StoredObject Create(ResourceType type, JsonObject obj, long rv)
    {
        var meta = obj["metadata"] as JsonObject ?? new JsonObject();
        obj["metadata"] = meta;
        meta["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
        // obj is only read here (serialized, indexed fields copied out); the store does not keep it.
        var json = JsonSerializer.SerializeToUtf8Bytes(obj, JsonOptions.Compact);
        return new StoredObject(type, obj, json, rv);
    }

    private static IReadOnlyDictionary<string, string> ReadStringMap(JsonNode? node)
    {
        if (node is not JsonObject { Count: > 0 })
        {
            return NoLabels;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject map)
        {
            foreach (var (k, v) in map)
            {
                result[k] = v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : v?.ToJsonString() ?? string.Empty;
            }
        }

        return result;
    }

    private static Dictionary<string, string> ComputeFields(ResourceType type, JsonObject obj, string ns, string name)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["metadata.name"] = name,
            ["metadata.namespace"] = ns,
        };
        foreach (var (label, path) in type.FieldSelectors)
        {
            fields[label] = JsonPath.ReadScalar(obj, path) ?? (path.EndsWith("hostNetwork", StringComparison.Ordinal) || path.EndsWith("unschedulable", StringComparison.Ordinal) ? "false" : string.Empty);
        }

        return fields;
    }
}
