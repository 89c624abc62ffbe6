namespace Gitlab.Agent.Kas.Repositories;

/// <summary>Project facts KAS needs for authorization decisions.</summary>
public interface IProjectInfoProvider
{
    /// <summary>Returns the project, or <see langword="null"/> when it does not exist.</summary>
    ValueTask<ProjectInfo?> GetProjectAsync(string projectPath, CancellationToken cancellationToken = default);
}

/// <summary>A project known to KAS.</summary>
/// <param name="Id">Numeric id.</param>
/// <param name="Path">Full path, e.g. <c>group/project</c>.</param>
/// <param name="IsPublic">Whether any agent may read it (for example as a manifest project).</param>
public sealed record ProjectInfo(long Id, string Path, bool IsPublic);
