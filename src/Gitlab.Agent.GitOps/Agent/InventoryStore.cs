using System.Text.Json.Nodes;

namespace Gitlab.Agent.GitOps.Agent;

/// <summary>
/// The cli-utils-compatible inventory ConfigMap of one manifest project: name <c>inventory-&lt;id&gt;</c> in
/// <c>default_namespace</c>, label <c>cli-utils.sigs.k8s.io/inventory-id: &lt;id&gt;</c>, one data key per object
/// (<c>namespace_name_group_kind</c>, empty value).
/// </summary>
internal sealed class InventoryStore(KubernetesDynamicClient client, string inventoryId, string ns)
{
    public const string InventoryIdLabel = "cli-utils.sigs.k8s.io/inventory-id";

    private static readonly ApiResource ConfigMaps = new("", "v1", "ConfigMap", "configmaps", Namespaced: true);

    public string InventoryId { get; } = inventoryId;

    public string Name { get; } = $"inventory-{inventoryId}";

    public string Namespace { get; } = ns;

    /// <summary>Reads the inventory; an absent ConfigMap is an empty inventory.</summary>
    public async Task<HashSet<ObjectId>> ReadAsync(CancellationToken cancellationToken)
    {
        var result = new HashSet<ObjectId>();
        var live = await client.GetAsync(ConfigMaps, Namespace, Name, cancellationToken).ConfigureAwait(false);
        if (live?["data"] is JsonObject data)
        {
            foreach (var (key, _) in data)
            {
                if (ObjectId.TryParseInventoryKey(key, out var id))
                {
                    result.Add(id);
                }
            }
        }

        return result;
    }

    /// <summary>Writes the inventory with server-side apply (no request when <paramref name="current"/> already equals <paramref name="objects"/>).</summary>
    public async Task WriteAsync(IReadOnlySet<ObjectId> objects, IReadOnlySet<ObjectId>? current, string fieldManager, CancellationToken cancellationToken)
    {
        if (current is not null && current.SetEquals(objects))
        {
            return;
        }

        var data = new JsonObject();
        foreach (var key in objects.Select(o => o.ToInventoryKey()).Order(StringComparer.Ordinal))
        {
            data[key] = "";
        }

        var configMap = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject
            {
                ["name"] = Name,
                ["namespace"] = Namespace,
                ["labels"] = new JsonObject { [InventoryIdLabel] = InventoryId },
            },
            ["data"] = data,
        };
        await client.ApplyAsync(ConfigMaps, configMap, Namespace, Name, fieldManager, dryRun: false, cancellationToken).ConfigureAwait(false);
    }
}
