using Gitlab.Agent.Protocol.AgentCfg;

namespace Gitlab.Agent.Config;

/// <summary>
/// The effective values of a <c>gitops.manifest_projects[]</c> entry: what agentk uses when a key is absent
/// (GitLab's defaults for the cli-utils applier).
/// </summary>
public static class ManifestProjectDefaults
{
    /// <summary>Glob used when <c>paths</c> is empty: every YAML and JSON file in the repository.</summary>
    public const string Glob = "**/*.{yaml,yml,json}";

    /// <summary>Namespace used when <c>default_namespace</c> is empty.</summary>
    public const string Namespace = "default";

    /// <summary>Default <c>reconcile_timeout</c> and <c>prune_timeout</c>: one hour.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromHours(1);

    /// <summary>Default <c>prune_propagation_policy</c>.</summary>
    public const string PropagationPolicy = "foreground";

    /// <summary>Default <c>inventory_policy</c>.</summary>
    public const string InventoryPolicy = "must_match";

    /// <summary>Default <c>dry_run_strategy</c>.</summary>
    public const string DryRunStrategy = "none";

    /// <summary>The globs to apply: the configured ones, or <see cref="Glob"/> when none is configured.</summary>
    public static IReadOnlyList<string> EffectiveGlobs(ManifestProjectCF project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return project.Paths.Count == 0 ? [Glob] : [.. project.Paths.Select(p => p.Glob)];
    }

    /// <summary>The configured <c>default_namespace</c>, or <see cref="Namespace"/>.</summary>
    public static string EffectiveNamespace(ManifestProjectCF project) =>
        Or(Check(project).DefaultNamespace, Namespace);

    /// <summary>The configured <c>reconcile_timeout</c>, or one hour.</summary>
    public static TimeSpan EffectiveReconcileTimeout(ManifestProjectCF project) =>
        Check(project).ReconcileTimeout?.ToTimeSpan() ?? Timeout;

    /// <summary>The configured <c>prune</c>, or true.</summary>
    public static bool EffectivePrune(ManifestProjectCF project) =>
        Check(project).PruneOneofCase == ManifestProjectCF.PruneOneofOneofCase.Prune ? project.Prune : true;

    /// <summary>The configured <c>prune_timeout</c>, or one hour.</summary>
    public static TimeSpan EffectivePruneTimeout(ManifestProjectCF project) =>
        Check(project).PruneTimeout?.ToTimeSpan() ?? Timeout;

    /// <summary>The configured <c>prune_propagation_policy</c>, or <see cref="PropagationPolicy"/>.</summary>
    public static string EffectivePropagationPolicy(ManifestProjectCF project) =>
        Or(Check(project).PrunePropagationPolicy, PropagationPolicy);

    /// <summary>The configured <c>inventory_policy</c>, or <see cref="InventoryPolicy"/>.</summary>
    public static string EffectiveInventoryPolicy(ManifestProjectCF project) =>
        Or(Check(project).InventoryPolicy, InventoryPolicy);

    /// <summary>The configured <c>dry_run_strategy</c>, or <see cref="DryRunStrategy"/>.</summary>
    public static string EffectiveDryRunStrategy(ManifestProjectCF project) =>
        Or(Check(project).DryRunStrategy, DryRunStrategy);

    /// <summary>The manifest project: the configured <c>id</c>, or <paramref name="configProjectPath"/> when it is absent.</summary>
    public static string EffectiveProjectId(ManifestProjectCF project, string configProjectPath) =>
        Check(project).HasId ? project.Id : configProjectPath;

    private static ManifestProjectCF Check(ManifestProjectCF project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return project;
    }

    private static string Or(string value, string fallback) => value.Length == 0 ? fallback : value;
}
