namespace Gitlab.Agent.Kas.Repositories;

/// <summary>A file in a repository tree.</summary>
/// <param name="Path">Path relative to the repository root, with <c>/</c> separators.</param>
/// <param name="BlobId">Object id of the blob.</param>
/// <param name="Size">Size in bytes.</param>
public sealed record RepositoryEntry(string Path, string BlobId, long Size);
