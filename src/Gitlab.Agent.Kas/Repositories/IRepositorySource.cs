namespace Gitlab.Agent.Kas.Repositories;

/// <summary>
/// Reads project repositories at a commit without a work tree. The embedded default serves a directory of bare
/// repositories; another implementation fetches from remote hosts through a URL template.
/// </summary>
public interface IRepositorySource
{
    /// <summary>
    /// Resolves <paramref name="reference"/> (default branch when <see langword="null"/>) of <paramref name="projectPath"/> to a commit id.
    /// Throws <see cref="RepositoryException"/> when the project or the reference does not exist.
    /// </summary>
    Task<string> ResolveCommitAsync(string projectPath, GitReference? reference, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads one file at <paramref name="commitId"/>. Returns <see langword="null"/> when the file does not exist;
    /// throws <see cref="RepositoryException"/> when it is larger than <paramref name="maxSize"/> bytes.
    /// </summary>
    Task<byte[]?> ReadFileAsync(string projectPath, string commitId, string path, long maxSize, CancellationToken cancellationToken = default);

    /// <summary>Lists every blob (recursively) in the tree of <paramref name="commitId"/>, with paths relative to the repository root.</summary>
    Task<IReadOnlyList<RepositoryEntry>> ListFilesAsync(string projectPath, string commitId, CancellationToken cancellationToken = default);

    /// <summary>Reads a blob listed by <see cref="ListFilesAsync"/>.</summary>
    Task<byte[]> ReadBlobAsync(string projectPath, RepositoryEntry entry, CancellationToken cancellationToken = default);
}
