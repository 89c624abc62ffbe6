namespace Gitlab.Agent.TestUtilities.Git;

/// <summary>
/// A git work tree that commits files and pushes them to a remote: a bare repository on disk (see <see cref="InitBareAsync"/>)
/// or a URL such as one served by <see cref="GitDaemon"/>. Uses the git command line.
/// </summary>
public sealed class GitTestRepository : IDisposable
{
    private readonly TempDirectory _work;

    private GitTestRepository(string remote, string branch)
    {
        Remote = remote;
        Branch = branch;
        _work = new TempDirectory("work");
    }

    /// <summary>Where commits are pushed (path of a bare repository or URL).</summary>
    public string Remote { get; }

    /// <summary>The branch commits are pushed to.</summary>
    public string Branch { get; }

    /// <summary>Path of the local work tree.</summary>
    public string WorkTree => _work.Path;

    /// <summary>Creates a bare repository at <paramref name="bareRepositoryPath"/> (e.g. <c>root/group/project.git</c>) whose HEAD is <paramref name="defaultBranch"/>.</summary>
    public static async Task InitBareAsync(string bareRepositoryPath, string defaultBranch = "main", CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(bareRepositoryPath);
        await GitCli.RunAsync(bareRepositoryPath, ["init", "--bare", "--quiet", "--initial-branch=" + defaultBranch], cancellationToken);
    }

    /// <summary>Creates a bare repository at <paramref name="bareRepositoryPath"/> and returns a work tree that pushes to it.</summary>
    public static async Task<GitTestRepository> CreateBareAsync(string bareRepositoryPath, string defaultBranch = "main", CancellationToken cancellationToken = default)
    {
        await InitBareAsync(bareRepositoryPath, defaultBranch, cancellationToken);
        return await OpenAsync(bareRepositoryPath, defaultBranch, cancellationToken);
    }

    /// <summary>Returns a work tree that pushes to <paramref name="remote"/> (an existing repository, possibly empty).</summary>
    public static async Task<GitTestRepository> OpenAsync(string remote, string branch = "main", CancellationToken cancellationToken = default)
    {
        var repository = new GitTestRepository(remote, branch);
        await GitCli.RunAsync(repository.WorkTree, ["init", "--quiet", "--initial-branch=" + branch], cancellationToken);
        await GitCli.RunAsync(repository.WorkTree, ["remote", "add", "origin", remote], cancellationToken);
        return repository;
    }

    /// <summary>
    /// Writes <paramref name="files"/> (path → content; <see langword="null"/> deletes the file), commits them and pushes
    /// to <see cref="Branch"/> (or <paramref name="branch"/>). Returns the new commit id.
    /// </summary>
    public async Task<string> CommitAsync(IReadOnlyDictionary<string, string?> files, string message = "commit", string? branch = null, CancellationToken cancellationToken = default)
    {
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(WorkTree, path);
            if (content is null)
            {
                File.Delete(full);
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllTextAsync(full, content, cancellationToken);
        }

        await GitCli.RunAsync(WorkTree, ["add", "-A"], cancellationToken);
        await GitCli.RunAsync(WorkTree, ["commit", "--quiet", "--allow-empty", "-m", message], cancellationToken);
        await GitCli.RunAsync(WorkTree, ["push", "--quiet", "origin", "HEAD:refs/heads/" + (branch ?? Branch)], cancellationToken);
        return await GitCli.RunAsync(WorkTree, ["rev-parse", "HEAD"], cancellationToken);
    }

    /// <summary>Commits one file; see <see cref="CommitAsync(IReadOnlyDictionary{string, string?}, string, string?, CancellationToken)"/>.</summary>
    public Task<string> CommitFileAsync(string path, string? content, string message = "commit", CancellationToken cancellationToken = default) =>
        CommitAsync(new Dictionary<string, string?> { [path] = content }, message, null, cancellationToken);

    /// <summary>Creates and pushes tag <paramref name="tag"/> at HEAD.</summary>
    public async Task TagAsync(string tag, CancellationToken cancellationToken = default)
    {
        await GitCli.RunAsync(WorkTree, ["tag", tag], cancellationToken);
        await GitCli.RunAsync(WorkTree, ["push", "--quiet", "origin", "refs/tags/" + tag], cancellationToken);
    }

    public void Dispose() => _work.Dispose();
}
