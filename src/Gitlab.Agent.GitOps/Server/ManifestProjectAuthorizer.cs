using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Kas.Repositories;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.GitOps.Server;

/// <summary>
/// Decides whether an agent may read a manifest project: its own configuration project, any public project, or a
/// private project granted to its configuration project in <c>agent.gitops.manifest_project_grants</c>.
/// </summary>
internal sealed class ManifestProjectAuthorizer(IProjectInfoProvider projects, IOptionsMonitor<GitOpsServerOptions> options)
{
    /// <summary>Returns the project or throws <see cref="RpcException"/> (NotFound / PermissionDenied) with a message naming the project.</summary>
    public async Task<ProjectInfo> AuthorizeAsync(AgentIdentity agent, string projectPath, CancellationToken cancellationToken)
    {
        var project = await projects.GetProjectAsync(projectPath, cancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"GitOps: manifest project {projectPath} does not exist."));

        if (IsAllowed(agent, project, options.CurrentValue.ManifestProjectGrants))
        {
            return project;
        }

        throw new RpcException(new Status(
            StatusCode.PermissionDenied,
            $"GitOps: project {project.Path} is private and not the agent's configuration project ({agent.ProjectPath}); " +
            $"grant it in kas config agent.gitops.manifest_project_grants (project: {project.Path}, config_projects: [{agent.ProjectPath}])."));
    }

    internal static bool IsAllowed(AgentIdentity agent, ProjectInfo project, IEnumerable<ManifestProjectGrant> grants)
    {
        if (project.IsPublic || SamePath(project.Path, agent.ProjectPath))
        {
            return true;
        }

        foreach (var grant in grants)
        {
            if (!SamePath(grant.Project, project.Path))
            {
                continue;
            }

            foreach (var configProject in grant.ConfigProjects)
            {
                if (configProject == "*" || SamePath(configProject, agent.ProjectPath))
                {
                    return true;
                }
            }
        }

        return false;
    }

    internal static bool SamePath(string a, string b) =>
        string.Equals(a.Trim('/'), b.Trim('/'), StringComparison.OrdinalIgnoreCase);
}
