namespace Gitlab.Agent.Testing.Semantics;

/// <summary>
/// Merge information of a list field. <paramref name="Keys"/> are the server-side apply list-map keys;
/// <paramref name="MergeStrategy"/> is strategic merge patch's <c>patchStrategy: merge</c>.
/// </summary>
internal sealed record ListInfo(ListType Type, IReadOnlyList<string> Keys, bool MergeStrategy)
{
    /// <summary>Strategic merge patch <c>patchMergeKey</c>; defaults to the first SSA key.</summary>
    public string? PatchMergeKey { get; init; }

    /// <summary>Defaults of key fields an item may omit (OpenAPI <c>default</c>, e.g. <c>protocol: TCP</c> of ports).</summary>
    public IReadOnlyDictionary<string, string>? KeyDefaults { get; init; }

    /// <summary>The merge key strategic merge patch uses (null for primitive lists).</summary>
    public string? EffectivePatchMergeKey => PatchMergeKey ?? (Keys.Count > 0 ? Keys[0] : null);
}
