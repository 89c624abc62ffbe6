using Gitlab.Agent.Config.Yaml;
using Gitlab.Agent.Protocol.AgentCfg;
using Google.Protobuf.WellKnownTypes;

namespace Gitlab.Agent.Config;

/// <summary>
/// Semantic checks of a parsed agent configuration (GitLab's protoc-gen-validate rules plus this implementation's
/// limits). Errors point at the offending node through the <see cref="SourceMap"/>; values that already had a
/// parse error are skipped.
/// </summary>
internal sealed class AgentConfigurationValidator(ErrorCollector errors, SourceMap map)
{
    /// <summary>Maximum number of <c>paths</c> per manifest project (kas rejects more).</summary>
    public const int MaxPaths = 100;

    /// <summary>Maximum number of projects and of groups in <c>ci_access</c> / <c>user_access</c> (GitLab 17.0+).</summary>
    public const int MaxAuthorizations = 500;

    internal static readonly string[] DryRunStrategies = ["", "none", "client", "server"];
    internal static readonly string[] PropagationPolicies = ["", "orphan", "background", "foreground"];
    internal static readonly string[] InventoryPolicies = ["", "must_match", "adopt_if_no_inventory", "adopt_all"];

    public void Validate(ConfigurationFile file)
    {
        if (file.Gitops is { } gitops)
        {
            ValidateGitops(gitops);
        }

        if (file.Cilium is { } cilium && cilium.HubbleRelayAddress.Length == 0)
        {
            Error("cilium.hubble_relay_address", "must not be empty when the cilium section is present");
        }

        if (file.CiAccess is { } ciAccess)
        {
            ValidateCiAccess(ciAccess);
        }

        if (file.UserAccess is { } userAccess)
        {
            ValidateUserAccess(userAccess);
        }

        if (file.ContainerScanning is { } scanning && scanning.Cadence.Length == 0)
        {
            Error("container_scanning.cadence", "must be set when the container_scanning section is present (a cron expression, e.g. \"0 0 * * *\")");
        }

        if (file.RemoteDevelopment is { } remote)
        {
            NotNegative("remote_development.partial_sync_interval", remote.PartialSyncInterval);
            NotNegative("remote_development.full_sync_interval", remote.FullSyncInterval);
        }
    }

    private void ValidateGitops(GitopsCF gitops)
    {
        var seen = new Dictionary<(string Id, GitRefCF.RefOneofCase Case, string Ref), int>();
        for (var i = 0; i < gitops.ManifestProjects.Count; i++)
        {
            var project = gitops.ManifestProjects[i];
            var path = $"gitops.manifest_projects[{i}]";
            if (project.HasId && project.Id.Length == 0)
            {
                Error($"{path}.id", "must not be empty (leave it out to use the agent's configuration project)");
            }

            var refValue = project.Ref is null ? string.Empty : RefValue(project.Ref);
            var key = (project.HasId ? project.Id : string.Empty, project.Ref?.RefCase ?? GitRefCF.RefOneofCase.None, refValue);
            if (!errors.Touches(path) && !seen.TryAdd(key, i))
            {
                var what = project.HasId ? $"\"{project.Id}\"" : "the configuration project (no id)";
                var at = project.Ref is null ? string.Empty : $" at {RefName(project.Ref.RefCase)} \"{refValue}\"";
                Error(project.HasId ? $"{path}.id" : path, $"duplicate manifest project {what}{at}, already listed as gitops.manifest_projects[{seen[key]}]");
            }

            if (project.Paths.Count > MaxPaths)
            {
                Error($"{path}.paths", $"too many paths: {project.Paths.Count}, the maximum is {MaxPaths}");
            }

            for (var k = 0; k < project.Paths.Count; k++)
            {
                if (project.Paths[k].Glob.Length == 0)
                {
                    Error($"{path}.paths[{k}].glob", "must not be empty");
                }
            }

            OneOf($"{path}.dry_run_strategy", project.DryRunStrategy, DryRunStrategies);
            OneOf($"{path}.prune_propagation_policy", project.PrunePropagationPolicy, PropagationPolicies);
            OneOf($"{path}.inventory_policy", project.InventoryPolicy, InventoryPolicies);
            NotNegative($"{path}.reconcile_timeout", project.ReconcileTimeout);
            NotNegative($"{path}.prune_timeout", project.PruneTimeout);
            if (project.Ref is { } gitRef)
            {
                if (gitRef.RefCase == GitRefCF.RefOneofCase.None)
                {
                    Error($"{path}.ref", "exactly one of tag, branch, commit must be set");
                }
                else if (refValue.Length == 0)
                {
                    Error($"{path}.ref.{RefName(gitRef.RefCase)}", "must not be empty");
                }
            }
        }
    }

    private void ValidateCiAccess(CiAccessCF ciAccess)
    {
        MaxCount("ci_access.projects", ciAccess.Projects.Count, "projects");
        MaxCount("ci_access.groups", ciAccess.Groups.Count, "groups");
        for (var i = 0; i < ciAccess.Projects.Count; i++)
        {
            var project = ciAccess.Projects[i];
            ValidateCiEntry($"ci_access.projects[{i}]", project.Id, project.AccessAs, project.Environments);
        }

        for (var i = 0; i < ciAccess.Groups.Count; i++)
        {
            var group = ciAccess.Groups[i];
            ValidateCiEntry($"ci_access.groups[{i}]", group.Id, group.AccessAs, group.Environments);
        }
    }

    private void ValidateCiEntry(string path, string id, CiAccessAsCF? accessAs, IList<string> environments)
    {
        NotEmpty($"{path}.id", id);
        if (accessAs is not null)
        {
            if (accessAs.AsCase == CiAccessAsCF.AsOneofCase.None)
            {
                Error($"{path}.access_as", "exactly one of agent, impersonate, ci_job must be set (an empty one is written \"agent: {}\")");
            }
            else if (accessAs.Impersonate is { } impersonate)
            {
                var p = $"{path}.access_as.impersonate";
                NotEmpty($"{p}.username", impersonate.Username);
                for (var k = 0; k < impersonate.Extra.Count; k++)
                {
                    NotEmpty($"{p}.extra[{k}].key", impersonate.Extra[k].Key);
                    if (impersonate.Extra[k].Val.Count == 0)
                    {
                        Error($"{p}.extra[{k}].val", "must have at least one value");
                    }
                }
            }
        }

        for (var k = 0; k < environments.Count; k++)
        {
            NotEmpty($"{path}.environments[{k}]", environments[k]);
        }
    }

    private void ValidateUserAccess(UserAccessCF userAccess)
    {
        if (userAccess.AccessAs is { AsCase: UserAccessAsCF.AsOneofCase.None })
        {
            Error("user_access.access_as", "exactly one of agent, user must be set (an empty one is written \"agent: {}\")");
        }

        MaxCount("user_access.projects", userAccess.Projects.Count, "projects");
        MaxCount("user_access.groups", userAccess.Groups.Count, "groups");
        for (var i = 0; i < userAccess.Projects.Count; i++)
        {
            NotEmpty($"user_access.projects[{i}].id", userAccess.Projects[i].Id);
        }

        for (var i = 0; i < userAccess.Groups.Count; i++)
        {
            NotEmpty($"user_access.groups[{i}].id", userAccess.Groups[i].Id);
        }
    }

    private void MaxCount(string path, int count, string what)
    {
        if (count > MaxAuthorizations)
        {
            Error(path, $"too many {what}: {count}, the maximum is {MaxAuthorizations}");
        }
    }

    private void NotEmpty(string path, string value)
    {
        if (value.Length == 0)
        {
            Error(path, "must not be empty");
        }
    }

    private void OneOf(string path, string value, string[] allowed)
    {
        if (!allowed.Contains(value, StringComparer.Ordinal))
        {
            Error(path, $"invalid value \"{YamlDocumentParser.Truncate(value)}\", expected one of: {string.Join(", ", allowed.Where(a => a.Length > 0))}");
        }
    }

    private void NotNegative(string path, Duration? duration)
    {
        if (duration is not null && (duration.Seconds < 0 || duration.Nanos < 0))
        {
            Error(path, "must not be negative");
        }
    }

    private void Error(string path, string message)
    {
        if (!errors.Touches(path))
        {
            errors.Add(map.Find(path), path, message);
        }
    }

    private static string RefValue(GitRefCF gitRef) => gitRef.RefCase switch
    {
        GitRefCF.RefOneofCase.Tag => gitRef.Tag,
        GitRefCF.RefOneofCase.Branch => gitRef.Branch,
        GitRefCF.RefOneofCase.Commit => gitRef.Commit,
        _ => string.Empty,
    };

    private static string RefName(GitRefCF.RefOneofCase refCase) => refCase switch
    {
        GitRefCF.RefOneofCase.Tag => "tag",
        GitRefCF.RefOneofCase.Branch => "branch",
        GitRefCF.RefOneofCase.Commit => "commit",
        _ => "ref",
    };
}
