using Microsoft.Extensions.Options;

namespace Gitlab.Agent.GitOps.Server;

internal sealed class GitOpsServerOptionsValidator : IValidateOptions<GitOpsServerOptions>
{
    public ValidateOptionsResult Validate(string? name, GitOpsServerOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (options.PollPeriod <= TimeSpan.Zero)
        {
            builder.AddError($"agent.gitops.poll_period must be positive, got {options.PollPeriod}.");
        }

        if (options.MaxManifestFileSize <= 0)
        {
            builder.AddError($"agent.gitops.max_manifest_file_size must be positive, got {options.MaxManifestFileSize}.");
        }

        if (options.MaxTotalManifestFileSize < options.MaxManifestFileSize)
        {
            builder.AddError($"agent.gitops.max_total_manifest_file_size ({options.MaxTotalManifestFileSize}) must be at least max_manifest_file_size ({options.MaxManifestFileSize}).");
        }

        if (options.MaxNumberOfPaths <= 0)
        {
            builder.AddError($"agent.gitops.max_number_of_paths must be positive, got {options.MaxNumberOfPaths}.");
        }

        if (options.MaxNumberOfFiles <= 0)
        {
            builder.AddError($"agent.gitops.max_number_of_files must be positive, got {options.MaxNumberOfFiles}.");
        }

        for (var i = 0; i < options.ManifestProjectGrants.Count; i++)
        {
            var grant = options.ManifestProjectGrants[i];
            if (string.IsNullOrWhiteSpace(grant.Project))
            {
                builder.AddError($"agent.gitops.manifest_project_grants[{i}].project must name a project path.");
            }

            if (grant.ConfigProjects.Count == 0)
            {
                builder.AddError($"agent.gitops.manifest_project_grants[{i}].config_projects must list at least one configuration project path (or \"*\").");
            }
        }

        return builder.Build();
    }
}
