namespace Gitlab.Agent.Kas.Users;

/// <summary>The personal access token scopes KAS knows (GitLab's names).</summary>
public static class PersonalAccessTokenScopes
{
    /// <summary><c>api</c>: full access to the management API (GraphQL, REST, UI).</summary>
    public const string Api = "api";

    /// <summary><c>read_api</c>: read-only access to the management API.</summary>
    public const string ReadApi = "read_api";

    /// <summary><c>k8s_proxy</c>: Kubernetes API access through the KAS proxy (<c>Bearer pat:&lt;agentId&gt;:&lt;token&gt;</c>).</summary>
    public const string K8sProxy = "k8s_proxy";

    /// <summary>Every known scope.</summary>
    public static IReadOnlyList<string> All { get; } = [Api, ReadApi, K8sProxy];

    /// <summary>Whether <paramref name="scope"/> is a known scope.</summary>
    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);
}
