using Gitlab.Agent.Kas.Registry;

namespace Gitlab.Agent.Kas.Repositories;

/// <summary>
/// Project facts from the registry. A project that has a repository but is not in the registry yet (for example a
/// manifest project no agent is registered in) is added as private on first lookup, so every project has a stable id.
/// </summary>
internal sealed class KasProjectInfoProvider(IAgentRegistry registry, IRepositorySource repositories) : IProjectInfoProvider
{
    public async ValueTask<ProjectInfo?> GetProjectAsync(string projectPath, CancellationToken cancellationToken = default)
    {
        if (ProjectPaths.Validate(projectPath) is not null)
        {
            return null;
        }

        if (await registry.GetProjectAsync(projectPath, cancellationToken) is { } known)
        {
            return known;
        }

        try
        {
            await repositories.ResolveCommitAsync(projectPath, null, cancellationToken);
        }
        catch (RepositoryException ex) when (ex.Kind == RepositoryErrorKind.ProjectNotFound)
        {
            return null;
        }
        catch (RepositoryException)
        {
            // The repository exists but has no default branch commit yet, or the host is down: the project exists.
        }

        return await registry.EnsureProjectAsync(projectPath, cancellationToken);
    }
}
