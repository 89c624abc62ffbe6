using System.Collections.Concurrent;

namespace Gitlab.Agent.Kas.Repositories;

/// <summary>Shared part of the repository sources: every project is a bare repository on disk read by <see cref="BareRepositoryReader"/>.</summary>
internal abstract class BareRepositorySource : IRepositorySource, IRepositoryRefresher, IDisposable
{
    private static readonly TimeSpan ActiveFor = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _fingerprints = new(StringComparer.Ordinal);

    protected BareRepositorySource(TimeProvider timeProvider) => Time = timeProvider;

    protected BareRepositoryReader Reader { get; } = new();

    protected TimeProvider Time { get; }

    public IReadOnlyCollection<string> ActiveProjects
    {
        get
        {
            var cutoff = Time.GetUtcNow() - ActiveFor;
            foreach (var (project, at) in _active)
            {
                if (at < cutoff)
                {
                    _active.TryRemove(project, out _);
                }
            }

            return _active.Keys.ToArray();
        }
    }

    /// <summary>Returns the path of the project's bare repository, making it available first if needed (e.g. first fetch).</summary>
    protected abstract Task<string> GetRepositoryPathAsync(string projectPath, CancellationToken cancellationToken);

    /// <summary>Updates the repository on disk (a no-op for local repositories).</summary>
    protected abstract Task UpdateAsync(string projectPath, CancellationToken cancellationToken);

    public async Task<string> ResolveCommitAsync(string projectPath, GitReference? reference, CancellationToken cancellationToken = default)
    {
        var path = await PrepareAsync(projectPath, cancellationToken);
        return Reader.ResolveCommit(projectPath, path, reference);
    }

    public async Task<byte[]?> ReadFileAsync(string projectPath, string commitId, string path, long maxSize, CancellationToken cancellationToken = default)
    {
        var repositoryPath = await PrepareAsync(projectPath, cancellationToken);
        return Reader.ReadFile(projectPath, repositoryPath, commitId, path, maxSize);
    }

    public async Task<IReadOnlyList<RepositoryEntry>> ListFilesAsync(string projectPath, string commitId, CancellationToken cancellationToken = default)
    {
        var repositoryPath = await PrepareAsync(projectPath, cancellationToken);
        return Reader.ListFiles(projectPath, repositoryPath, commitId);
    }

    public async Task<byte[]> ReadBlobAsync(string projectPath, RepositoryEntry entry, CancellationToken cancellationToken = default)
    {
        var repositoryPath = await PrepareAsync(projectPath, cancellationToken);
        return Reader.ReadBlob(projectPath, repositoryPath, entry);
    }

    public async Task<bool> RefreshAsync(string projectPath, CancellationToken cancellationToken = default)
    {
        ProjectPaths.ThrowIfInvalid(projectPath);
        _active[projectPath] = Time.GetUtcNow();
        await UpdateAsync(projectPath, cancellationToken);
        var repositoryPath = await GetRepositoryPathAsync(projectPath, cancellationToken);
        var fingerprint = Reader.RefsFingerprint(projectPath, repositoryPath);
        var previous = _fingerprints.GetValueOrDefault(projectPath);
        _fingerprints[projectPath] = fingerprint;
        return previous is not null && previous != fingerprint;
    }

    public void Dispose()
    {
        Reader.Dispose();
        GC.SuppressFinalize(this);
    }

    private async Task<string> PrepareAsync(string projectPath, CancellationToken cancellationToken)
    {
        ProjectPaths.ThrowIfInvalid(projectPath);
        var path = await GetRepositoryPathAsync(projectPath, cancellationToken);
        if (_active.TryAdd(projectPath, Time.GetUtcNow()))
        {
            // First use: remember the refs so that the next refresh can tell whether anything moved.
            try
            {
                _fingerprints.TryAdd(projectPath, Reader.RefsFingerprint(projectPath, path));
            }
            catch (RepositoryException)
            {
                _active.TryRemove(projectPath, out _);
                throw;
            }
        }
        else
        {
            _active[projectPath] = Time.GetUtcNow();
        }

        return path;
    }
}
