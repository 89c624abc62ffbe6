namespace Gitlab.Agent.GitOps.Agent;

/// <summary>cli-utils inventory policy rules for applying and pruning objects that already exist.</summary>
internal static class InventoryPolicyDecision
{
    /// <summary>The annotation cli-utils puts on every applied object: the owning inventory id.</summary>
    public const string OwningInventoryAnnotation = "config.k8s.io/owning-inventory";

    /// <summary>Returns <see langword="null"/> when the object may be applied, otherwise why not.</summary>
    public static string? ApplyBlockedReason(InventoryPolicy policy, string inventoryId, bool exists, string? liveOwner)
    {
        if (!exists || liveOwner == inventoryId)
        {
            return null;
        }

        var policyName = Name(policy);
        if (string.IsNullOrEmpty(liveOwner))
        {
            return policy == InventoryPolicy.MustMatch
                ? $"inventory policy prevented actuation (policy: {policyName}): the object already exists and belongs to no inventory; set inventory_policy: adopt_if_no_inventory to take it over"
                : null;
        }

        return policy == InventoryPolicy.AdoptAll
            ? null
            : $"inventory policy prevented actuation (policy: {policyName}): the object belongs to inventory {liveOwner}; set inventory_policy: adopt_all to take it over";
    }

    /// <summary>Returns <see langword="null"/> when the object may be deleted, otherwise why not.</summary>
    public static string? PruneBlockedReason(string inventoryId, string? liveOwner, IReadOnlyDictionary<string, string>? annotations)
    {
        if (liveOwner != inventoryId)
        {
            return string.IsNullOrEmpty(liveOwner)
                ? "not pruned: the object no longer carries this inventory's config.k8s.io/owning-inventory annotation"
                : $"not pruned: the object now belongs to inventory {liveOwner}";
        }

        if (annotations is not null)
        {
            if (annotations.TryGetValue("cli-utils.sigs.k8s.io/on-remove", out var onRemove) && onRemove == "keep")
            {
                return "not pruned: annotation cli-utils.sigs.k8s.io/on-remove: keep";
            }

            if (annotations.TryGetValue("client.lifecycle.config.k8s.io/deletion", out var deletion) && deletion == "detach")
            {
                return "not pruned: annotation client.lifecycle.config.k8s.io/deletion: detach";
            }
        }

        return null;
    }

    public static string Name(InventoryPolicy policy) => policy switch
    {
        InventoryPolicy.AdoptIfNoInventory => "adopt_if_no_inventory",
        InventoryPolicy.AdoptAll => "adopt_all",
        _ => "must_match",
    };
}
