namespace Gitlab.Agent.GitOps.Agent;

/// <summary>
/// Identity of a Kubernetes object independent of API version: group, kind, namespace (empty for cluster-scoped) and name.
/// </summary>
internal readonly record struct ObjectId(string Group, string Kind, string Namespace, string Name)
{
    private static readonly HashSet<string> RbacKinds = ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];

    /// <summary>The key used in logs and sync reports: <c>group/Kind/namespace/name</c> (GitLab's <c>resource_key</c>).</summary>
    public string ResourceKey => $"{Group}/{Kind}/{Namespace}/{Name}";

    /// <summary>The group and kind.</summary>
    public GroupKind GroupKind => new(Group, Kind);

    public bool IsCrd => Group == "apiextensions.k8s.io" && Kind == "CustomResourceDefinition";

    public bool IsNamespace => Group.Length == 0 && Kind == "Namespace";

    /// <summary>The cli-utils <c>ObjMetadata</c> string used as inventory ConfigMap key: <c>namespace_name_group_kind</c>; RBAC names have <c>:</c> written as <c>__</c>.</summary>
    public string ToInventoryKey()
    {
        var name = Group == "rbac.authorization.k8s.io" && RbacKinds.Contains(Kind) ? Name.Replace(":", "__", StringComparison.Ordinal) : Name;
        return $"{Namespace}_{name}_{Group}_{Kind}";
    }

    /// <summary>Parses a cli-utils <c>ObjMetadata</c> string.</summary>
    public static bool TryParseInventoryKey(string key, out ObjectId id)
    {
        id = default;
        var first = key.IndexOf('_', StringComparison.Ordinal);
        if (first < 0)
        {
            return false;
        }

        var ns = key[..first];
        var rest = key[(first + 1)..];
        var last = rest.LastIndexOf('_');
        if (last < 0)
        {
            return false;
        }

        var kind = rest[(last + 1)..];
        rest = rest[..last];
        last = rest.LastIndexOf('_');
        if (last < 0)
        {
            return false;
        }

        var group = rest[(last + 1)..];
        var name = rest[..last].Replace("__", ":", StringComparison.Ordinal);
        if (name.Length == 0 || kind.Length == 0 || name.Contains('_', StringComparison.Ordinal))
        {
            return false;
        }

        id = new ObjectId(group, kind, ns, name);
        return true;
    }

    public override string ToString() => ResourceKey;
}

/// <summary>An API group and kind.</summary>
internal readonly record struct GroupKind(string Group, string Kind)
{
    public override string ToString() => Group.Length == 0 ? Kind : $"{Kind}.{Group}";
}
