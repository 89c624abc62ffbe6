using System.Collections.Concurrent;
using System.Text;
using LibGit2Sharp;

namespace Gitlab.Agent.Kas.Repositories;

/// <summary>
/// Reads bare repositories on disk with LibGit2Sharp (no work tree). Opened <see cref="Repository"/> objects are cached
/// per path; every use of one is serialised by its own lock because libgit2 objects are not safe to share across threads.
/// New refs and packs written by other processes (git push, fetch) are picked up without reopening.
/// </summary>
internal sealed class BareRepositoryReader : IDisposable
{
    private readonly ConcurrentDictionary<string, CachedRepository> _repositories = new(StringComparer.Ordinal);

    /// <summary>Whether a repository exists at <paramref name="path"/>.</summary>
    public static bool Exists(string path) => Directory.Exists(path) && Repository.IsValid(path);

    public string ResolveCommit(string projectPath, string repositoryPath, GitReference? reference) => Use(projectPath, repositoryPath, repo =>
    {
        Commit? commit;
        switch (reference)
        {
            case null:
                var head = repo.Head;
                commit = head.Tip ?? throw new RepositoryException(
                    $"project '{projectPath}' has no commits on its default branch '{head.FriendlyName}'") { Kind = RepositoryErrorKind.ReferenceNotFound };
                break;
            case { Kind: GitReferenceKind.Branch }:
                commit = repo.Branches[reference.Name]?.Tip;
                break;
            case { Kind: GitReferenceKind.Tag }:
                commit = repo.Tags[reference.Name]?.PeeledTarget as Commit;
                break;
            default:
                commit = IsHex(reference.Name) ? repo.Lookup<Commit>(reference.Name) : null;
                break;
        }

        return commit?.Sha ?? throw new RepositoryException($"{reference} does not exist in project '{projectPath}'") { Kind = RepositoryErrorKind.ReferenceNotFound };
    });

    public byte[]? ReadFile(string projectPath, string repositoryPath, string commitId, string path, long maxSize) => Use(projectPath, repositoryPath, repo =>
    {
        var commit = LookupCommit(repo, projectPath, commitId);
        var entry = commit[path.TrimStart('/')];
        if (entry is null || entry.TargetType != TreeEntryTargetType.Blob)
        {
            return null;
        }

        var blob = (Blob)entry.Target;
        if (blob.Size > maxSize)
        {
            throw new RepositoryException(
                $"file '{path}' in project '{projectPath}' at commit {commitId} is {blob.Size} bytes, more than the limit of {maxSize} bytes")
            { Kind = RepositoryErrorKind.TooLarge };
        }

        return ReadBlob(blob);
    });

    public IReadOnlyList<RepositoryEntry> ListFiles(string projectPath, string repositoryPath, string commitId) => Use(projectPath, repositoryPath, repo =>
    {
        var result = new List<RepositoryEntry>();
        var pending = new Stack<(string Prefix, Tree Tree)>();
        pending.Push(("", LookupCommit(repo, projectPath, commitId).Tree));
        while (pending.Count > 0)
        {
            var (prefix, tree) = pending.Pop();
            foreach (var entry in tree)
            {
                var path = prefix + entry.Name;
                if (entry.TargetType == TreeEntryTargetType.Tree)
                {
                    pending.Push((path + "/", (Tree)entry.Target));
                }
                else if (entry.TargetType == TreeEntryTargetType.Blob)
                {
                    result.Add(new RepositoryEntry(path, entry.Target.Sha, ((Blob)entry.Target).Size));
                }
            }
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return (IReadOnlyList<RepositoryEntry>)result;
    });

    public byte[] ReadBlob(string projectPath, string repositoryPath, RepositoryEntry entry) => Use(projectPath, repositoryPath, repo =>
    {
        var blob = IsHex(entry.BlobId) ? repo.Lookup<Blob>(entry.BlobId) : null;
        return blob is null
            ? throw new RepositoryException($"blob {entry.BlobId} ('{entry.Path}') does not exist in project '{projectPath}'") { Kind = RepositoryErrorKind.ReferenceNotFound }
            : ReadBlob(blob);
    });

    /// <summary>A string that changes whenever HEAD or any branch or tag moves; used to detect pushes.</summary>
    public string RefsFingerprint(string projectPath, string repositoryPath) => Use(projectPath, repositoryPath, repo =>
    {
        var sb = new StringBuilder();
        var head = repo.Refs.Head;
        sb.Append("HEAD ").Append(head is SymbolicReference s ? s.TargetIdentifier : head?.TargetIdentifier).Append('\n');
        foreach (var reference in repo.Refs.OrderBy(r => r.CanonicalName, StringComparer.Ordinal))
        {
            sb.Append(reference.CanonicalName).Append(' ').Append(reference.TargetIdentifier).Append('\n');
        }

        return sb.ToString();
    });

    /// <summary>Closes the cached handle of <paramref name="repositoryPath"/> (for example after the directory was replaced).</summary>
    public void Forget(string repositoryPath)
    {
        if (_repositories.TryRemove(repositoryPath, out var cached))
        {
            lock (cached.Gate)
            {
                cached.Repository?.Dispose();
                cached.Repository = null;
            }
        }
    }

    public void Dispose()
    {
        foreach (var key in _repositories.Keys)
        {
            Forget(key);
        }
    }

    private T Use<T>(string projectPath, string repositoryPath, Func<Repository, T> action)
    {
        var cached = _repositories.GetOrAdd(repositoryPath, _ => new CachedRepository());
        lock (cached.Gate)
        {
            if (cached.Repository is null)
            {
                if (!Exists(repositoryPath))
                {
                    _repositories.TryRemove(repositoryPath, out _);
                    throw new RepositoryException($"project '{projectPath}' does not exist (no repository at '{repositoryPath}')") { Kind = RepositoryErrorKind.ProjectNotFound };
                }

                cached.Repository = new Repository(repositoryPath);
            }

            try
            {
                return action(cached.Repository);
            }
            catch (LibGit2SharpException ex)
            {
                throw new RepositoryException($"reading project '{projectPath}' failed: {ex.Message}", ex);
            }
        }
    }

    private static Commit LookupCommit(Repository repo, string projectPath, string commitId) =>
        (IsHex(commitId) ? repo.Lookup<Commit>(commitId) : null)
        ?? throw new RepositoryException($"commit {commitId} does not exist in project '{projectPath}'") { Kind = RepositoryErrorKind.ReferenceNotFound };

    private static byte[] ReadBlob(Blob blob)
    {
        using var stream = blob.GetContentStream();
        var buffer = new byte[blob.Size];
        stream.ReadExactly(buffer);
        return buffer;
    }

    private static bool IsHex(string value) => value.Length is >= 4 and <= 64 && value.All(char.IsAsciiHexDigit);

    private sealed class CachedRepository
    {
        public readonly Lock Gate = new();
        public Repository? Repository;
    }
}
