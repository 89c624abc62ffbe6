namespace Gitlab.Agent.Kas.Repositories;

/// <summary>
/// The embedded default: a directory of bare repositories, <c>&lt;directory&gt;/&lt;group&gt;/&lt;project&gt;.git</c>.
/// Pushes land directly in the directory (git over SSH, <c>git daemon</c>, a post-receive hook…); refreshing re-reads the refs.
/// </summary>
internal sealed class DirectoryRepositorySource(string directory, TimeProvider timeProvider) : BareRepositorySource(timeProvider)
{
    public string Directory { get; } = Path.GetFullPath(directory);

    public string RepositoryPath(string projectPath) => Path.Combine(Directory, projectPath + ".git");

    protected override Task<string> GetRepositoryPathAsync(string projectPath, CancellationToken cancellationToken) =>
        Task.FromResult(RepositoryPath(projectPath));

    protected override Task UpdateAsync(string projectPath, CancellationToken cancellationToken) => Task.CompletedTask;
}
