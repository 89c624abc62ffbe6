namespace Gitlab.Agent.Cilium.Policies;

/// <summary>An immutable view of the alert-enabled policies, indexed by namespace and by name.</summary>
internal sealed class CiliumPolicySnapshot
{
    private readonly Dictionary<string, CiliumPolicy[]> _byNamespace;
    private readonly Dictionary<(string Namespace, string Name), CiliumPolicy> _byName;

    public CiliumPolicySnapshot(IEnumerable<CiliumPolicy> policies)
    {
        var list = policies.Where(p => p.AlertEnabled).OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal).ToArray();
        _byNamespace = list.GroupBy(p => p.Namespace, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        _byName = list.ToDictionary(p => (p.Namespace, p.Name));
        Count = list.Length;
    }

    public static CiliumPolicySnapshot Empty { get; } = new([]);

    /// <summary>Number of alert-enabled policies.</summary>
    public int Count { get; }

    /// <summary>Alert-enabled policies of <paramref name="namespace"/>, ordered by name.</summary>
    public IReadOnlyList<CiliumPolicy> InNamespace(string @namespace) =>
        _byNamespace.TryGetValue(@namespace, out var policies) ? policies : [];

    /// <summary>The alert-enabled policy <paramref name="namespace"/>/<paramref name="name"/>, if any.</summary>
    public CiliumPolicy? Find(string @namespace, string name) =>
        _byName.TryGetValue((@namespace, name), out var policy) ? policy : null;
}
