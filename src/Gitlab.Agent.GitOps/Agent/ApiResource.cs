namespace Gitlab.Agent.GitOps.Agent;

/// <summary>A Kubernetes API resource found through discovery.</summary>
/// <param name="Group">API group (empty for core).</param>
/// <param name="Version">API version.</param>
/// <param name="Kind">Kind.</param>
/// <param name="Plural">Resource name used in URLs, e.g. <c>deployments</c>.</param>
/// <param name="Namespaced">Whether objects live in namespaces.</param>
internal sealed record ApiResource(string Group, string Version, string Kind, string Plural, bool Namespaced)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>URL path (relative to the server root) of the collection, optionally in <paramref name="ns"/>.</summary>
    public string CollectionPath(string? ns)
    {
        var prefix = Group.Length == 0 ? $"api/{Version}" : $"apis/{Group}/{Version}";
        return Namespaced && !string.IsNullOrEmpty(ns)
            ? $"{prefix}/namespaces/{Uri.EscapeDataString(ns)}/{Plural}"
            : $"{prefix}/{Plural}";
    }

    /// <summary>URL path of one object.</summary>
    public string ObjectPath(string? ns, string name) => $"{CollectionPath(ns)}/{Uri.EscapeDataString(name)}";
}
