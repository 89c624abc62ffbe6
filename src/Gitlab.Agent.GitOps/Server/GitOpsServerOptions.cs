using Gitlab.Agent.Protocol.KasCfg;

namespace Gitlab.Agent.GitOps.Server;

/// <summary>
/// Settings of the KAS GitOps module (<c>agent.gitops.*</c> in the KAS configuration file).
/// </summary>
public sealed class GitOpsServerOptions
{
    /// <summary>How often a project's ref is polled when no push notification arrives (<c>poll_period</c>, default 5 min).</summary>
    public TimeSpan PollPeriod { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest manifest file in bytes (<c>max_manifest_file_size</c>, default 5 MiB).</summary>
    public long MaxManifestFileSize { get; set; } = 5 * 1024 * 1024;

    /// <summary>Largest total size of the files sent for one commit (<c>max_total_manifest_file_size</c>, default 20 MiB).</summary>
    public long MaxTotalManifestFileSize { get; set; } = 20 * 1024 * 1024;

    /// <summary>Most <c>paths</c> entries per manifest project (<c>max_number_of_paths</c>, default 100).</summary>
    public int MaxNumberOfPaths { get; set; } = 100;

    /// <summary>Most files sent for one commit (<c>max_number_of_files</c>, default 1000).</summary>
    public int MaxNumberOfFiles { get; set; } = 1000;

    /// <summary>
    /// Private projects that agents of other configuration projects may use as manifest projects
    /// (<c>manifest_project_grants</c>). Public projects and an agent's own configuration project need no grant.
    /// </summary>
    public IList<ManifestProjectGrant> ManifestProjectGrants { get; } = [];

    /// <summary>Copies the values set in <paramref name="gitops"/> (<c>agent.gitops</c> of kascfg); unset values keep their defaults.</summary>
    public void Apply(GitopsCF gitops)
    {
        ArgumentNullException.ThrowIfNull(gitops);
        if (gitops.PollPeriod is { } poll && poll.ToTimeSpan() > TimeSpan.Zero)
        {
            PollPeriod = poll.ToTimeSpan();
        }

        if (gitops.MaxManifestFileSize > 0)
        {
            MaxManifestFileSize = gitops.MaxManifestFileSize;
        }

        if (gitops.MaxTotalManifestFileSize > 0)
        {
            MaxTotalManifestFileSize = gitops.MaxTotalManifestFileSize;
        }

        if (gitops.MaxNumberOfPaths > 0)
        {
            MaxNumberOfPaths = (int)gitops.MaxNumberOfPaths;
        }

        if (gitops.MaxNumberOfFiles > 0)
        {
            MaxNumberOfFiles = (int)gitops.MaxNumberOfFiles;
        }

        foreach (var grant in gitops.ManifestProjectGrants)
        {
            var item = new ManifestProjectGrant { Project = grant.Project };
            foreach (var configProject in grant.ConfigProjects)
            {
                item.ConfigProjects.Add(configProject);
            }

            ManifestProjectGrants.Add(item);
        }
    }
}

/// <summary>Allows agents of some configuration projects to read a private manifest project.</summary>
public sealed class ManifestProjectGrant
{
    /// <summary>Path of the private manifest project, e.g. <c>group/manifests</c>.</summary>
    public string Project { get; set; } = "";

    /// <summary>Configuration project paths whose agents may read <see cref="Project"/>; <c>*</c> allows every agent.</summary>
    public IList<string> ConfigProjects { get; } = [];
}
