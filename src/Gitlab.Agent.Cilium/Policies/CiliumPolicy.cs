namespace Gitlab.Agent.Cilium.Policies;

/// <summary>A parsed CiliumNetworkPolicy with the raw object kept for alert payloads.</summary>
internal sealed class CiliumPolicy
{
    /// <summary>Annotation that opts a policy into alerts when set to <c>"true"</c>.</summary>
    public const string AlertAnnotation = "app.gitlab.com/alert";

    /// <summary>Label GitLab puts on policies to name the project that owns them.</summary>
    public const string ProjectLabel = "app.gitlab.com/proj";

    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public string Uid { get; init; } = string.Empty;

    public string ResourceVersion { get; init; } = string.Empty;

    /// <summary>Whether the policy carries <c>app.gitlab.com/alert: "true"</c>.</summary>
    public bool AlertEnabled { get; init; }

    /// <summary>Value of the <c>app.gitlab.com/proj</c> label, or <see langword="null"/>.</summary>
    public string? Project { get; init; }

    /// <summary>The rules of <c>spec</c> and <c>specs</c>.</summary>
    public required PolicyRule[] Rules { get; init; }

    /// <summary>The policy object as JSON (UTF-8) without <c>metadata.managedFields</c>, sent as <c>ciliumNetworkPolicy</c>.</summary>
    public required ReadOnlyMemory<byte> Json { get; init; }

    /// <summary>Whether this policy is relevant for an agent whose configuration project has id <paramref name="projectId"/>.</summary>
    public bool BelongsTo(long projectId) =>
        Project is null || projectId == 0 || Project == projectId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public override string ToString() => $"{Namespace}/{Name}";
}
