using System.Security.Cryptography;
using System.Text;
using Gitlab.Agent.Protocol.AgentCfg;

namespace Gitlab.Agent.GitOps.Agent;

/// <summary>How objects are applied without writing (<c>dry_run_strategy</c>).</summary>
internal enum DryRunStrategy
{
    None,
    Client,
    Server,
}

/// <summary>Whether objects owned by no or another inventory may be taken over (<c>inventory_policy</c>).</summary>
internal enum InventoryPolicy
{
    MustMatch,
    AdoptIfNoInventory,
    AdoptAll,
}

/// <summary>One <c>resource_inclusions</c>/<c>resource_exclusions</c> entry.</summary>
internal sealed record ResourceFilter(IReadOnlyList<string> ApiGroups, IReadOnlyList<string> Kinds)
{
    public bool Matches(GroupKind groupKind) =>
        ApiGroups.Any(g => g == "*" || string.Equals(g, groupKind.Group, StringComparison.OrdinalIgnoreCase)) &&
        Kinds.Any(k => k == "*" || string.Equals(k, groupKind.Kind, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// A <c>gitops.manifest_projects[]</c> entry with defaults applied and values validated.
/// </summary>
internal sealed record ManifestProjectSettings
{
    public const string DefaultGlob = "**/*.{yaml,yml,json}";

    public required string ProjectPath { get; init; }

    public GitRefCF? Ref { get; init; }

    public string DefaultNamespace { get; init; } = "default";

    public IReadOnlyList<string> Globs { get; init; } = [DefaultGlob];

    public TimeSpan ReconcileTimeout { get; init; } = TimeSpan.FromHours(1);

    public DryRunStrategy DryRun { get; init; }

    public bool Prune { get; init; } = true;

    public bool AllowEmptyPrune { get; init; }

    /// <summary><c>apply_on_decode_error</c>: apply the files that decode when others do not (nothing is pruned then).</summary>
    public bool ApplyOnDecodeError { get; init; }

    public TimeSpan PruneTimeout { get; init; } = TimeSpan.FromHours(1);

    public string PropagationPolicy { get; init; } = "Foreground";

    public InventoryPolicy InventoryPolicy { get; init; }

    public IReadOnlyList<ResourceFilter> Inclusions { get; init; } = [];

    public IReadOnlyList<ResourceFilter> Exclusions { get; init; } = [];

    /// <summary>The ref as shown in logs.</summary>
    public string RefDescription => Ref?.RefCase switch
    {
        GitRefCF.RefOneofCase.Tag => $"tag {Ref.Tag}",
        GitRefCF.RefOneofCase.Branch => $"branch {Ref.Branch}",
        GitRefCF.RefOneofCase.Commit => $"commit {Ref.Commit}",
        _ => "default branch",
    };

    /// <summary>Whether <paramref name="groupKind"/> passes the inclusion and exclusion filters.</summary>
    public bool IsManaged(GroupKind groupKind) =>
        (Inclusions.Count == 0 || Inclusions.Any(f => f.Matches(groupKind))) && !Exclusions.Any(f => f.Matches(groupKind));

    /// <summary>Short stable hash of the project path used in the inventory name.</summary>
    public static string ProjectHash(string projectPath)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(projectPath.Trim('/').ToLowerInvariant()));
        return Convert.ToHexStringLower(bytes)[..12];
    }

    /// <summary>Applies defaults and validates; throws <see cref="ArgumentException"/> naming the key.</summary>
    public static ManifestProjectSettings From(ManifestProjectCF cf, string configProjectPath)
    {
        var path = cf.HasId && !string.IsNullOrWhiteSpace(cf.Id) ? cf.Id.Trim().Trim('/') : configProjectPath.Trim('/');
        if (path.Length == 0)
        {
            throw new ArgumentException("gitops.manifest_projects[].id is empty and the configuration project is unknown.");
        }

        var where = $"gitops.manifest_projects[id={path}]";
        var dryRun = cf.DryRunStrategy switch
        {
            "" or "none" => DryRunStrategy.None,
            "client" => DryRunStrategy.Client,
            "server" => DryRunStrategy.Server,
            _ => throw new ArgumentException($"{where}.dry_run_strategy must be none, client or server, got \"{cf.DryRunStrategy}\"."),
        };
        var propagation = cf.PrunePropagationPolicy switch
        {
            "" or "foreground" => "Foreground",
            "background" => "Background",
            "orphan" => "Orphan",
            _ => throw new ArgumentException($"{where}.prune_propagation_policy must be orphan, background or foreground, got \"{cf.PrunePropagationPolicy}\"."),
        };
        var policy = cf.InventoryPolicy switch
        {
            "" or "must_match" => InventoryPolicy.MustMatch,
            "adopt_if_no_inventory" => InventoryPolicy.AdoptIfNoInventory,
            "adopt_all" => InventoryPolicy.AdoptAll,
            _ => throw new ArgumentException($"{where}.inventory_policy must be must_match, adopt_if_no_inventory or adopt_all, got \"{cf.InventoryPolicy}\"."),
        };
        var globs = cf.Paths.Select(p => p.Glob).ToList();
        if (globs.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException($"{where}.paths[].glob must not be empty.");
        }

        var ns = string.IsNullOrWhiteSpace(cf.DefaultNamespace) ? "default" : cf.DefaultNamespace;
        return new ManifestProjectSettings
        {
            ProjectPath = path,
            Ref = cf.Ref is { RefCase: not GitRefCF.RefOneofCase.None } r ? r : null,
            DefaultNamespace = ns,
            Globs = globs.Count == 0 ? [DefaultGlob] : globs,
            ReconcileTimeout = Positive(cf.ReconcileTimeout, TimeSpan.FromHours(1), $"{where}.reconcile_timeout"),
            DryRun = dryRun,
            Prune = cf.PruneOneofCase != ManifestProjectCF.PruneOneofOneofCase.Prune || cf.Prune,
            AllowEmptyPrune = cf.AllowEmptyPrune,
            ApplyOnDecodeError = cf.ApplyOnDecodeError,
            PruneTimeout = Positive(cf.PruneTimeout, TimeSpan.FromHours(1), $"{where}.prune_timeout"),
            PropagationPolicy = propagation,
            InventoryPolicy = policy,
            Inclusions = Filters(cf.ResourceInclusions, $"{where}.resource_inclusions"),
            Exclusions = Filters(cf.ResourceExclusions, $"{where}.resource_exclusions"),
        };
    }

    private static TimeSpan Positive(Google.Protobuf.WellKnownTypes.Duration? value, TimeSpan fallback, string key)
    {
        if (value is null)
        {
            return fallback;
        }

        var span = value.ToTimeSpan();
        return span < TimeSpan.Zero
            ? throw new ArgumentException($"{key} must not be negative, got {span}.")
            : span == TimeSpan.Zero ? fallback : span;
    }

    private static List<ResourceFilter> Filters(IEnumerable<ResourceFilterCF> filters, string key)
    {
        var result = new List<ResourceFilter>();
        var index = 0;
        foreach (var filter in filters)
        {
            if (filter.ApiGroups.Count == 0 || filter.Kinds.Count == 0 || filter.Kinds.Any(string.IsNullOrEmpty))
            {
                throw new ArgumentException($"{key}[{index}] needs at least one api_groups entry (\"\" is the core group, \"*\" any) and one non-empty kinds entry (\"*\" any).");
            }

            result.Add(new ResourceFilter([.. filter.ApiGroups], [.. filter.Kinds]));
            index++;
        }

        return result;
    }
}
