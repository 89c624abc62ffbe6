using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.Protocol.GitOps;
using Google.Protobuf.Collections;
using Grpc.Core;

namespace Gitlab.Agent.GitOps.Server;

/// <summary>One entry of <c>ObjectsToSynchronizeRequest.paths</c>: a glob or an exact file.</summary>
internal sealed record ManifestPath(GlobPattern? Glob, string? File)
{
    public override string ToString() => Glob is not null ? $"glob {Glob.Pattern}" : $"file {File}";
}

/// <summary>
/// Picks the files of a commit that a manifest project's <c>paths</c> select and enforces the KAS limits.
/// Every limit is checked on the whole selection before anything is sent, so an agent never gets a partial set.
/// </summary>
internal static class ManifestSelection
{
    /// <summary>Validates and compiles the request's paths; throws <see cref="RpcException"/> InvalidArgument.</summary>
    public static IReadOnlyList<ManifestPath> ParsePaths(RepeatedField<PathCF> paths, int maxNumberOfPaths)
    {
        if (paths.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "GitOps: paths must contain at least one glob or file."));
        }

        if (paths.Count > maxNumberOfPaths)
        {
            throw new RpcException(new Status(
                StatusCode.InvalidArgument,
                $"GitOps: {paths.Count} paths requested, more than the limit agent.gitops.max_number_of_paths = {maxNumberOfPaths}."));
        }

        var result = new List<ManifestPath>(paths.Count);
        for (var i = 0; i < paths.Count; i++)
        {
            var path = paths[i];
            switch (path.PathCase)
            {
                case PathCF.PathOneofCase.Glob when path.Glob.Length > 0:
                    try
                    {
                        result.Add(new ManifestPath(GlobPattern.Parse(path.Glob), null));
                    }
                    catch (GlobPatternException e)
                    {
                        throw new RpcException(new Status(StatusCode.InvalidArgument, $"GitOps: paths[{i}]: {e.Message}."));
                    }

                    break;
                case PathCF.PathOneofCase.File when path.File.Trim('/').Length > 0:
                    result.Add(new ManifestPath(null, path.File.TrimStart('/')));
                    break;
                default:
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"GitOps: paths[{i}] must set a non-empty glob or file."));
            }
        }

        return result;
    }

    /// <summary>
    /// Returns the selected files in path order. Throws <see cref="RpcException"/> FailedPrecondition when a listed
    /// file is missing or a limit is exceeded; the message names the limit, the file and the sizes.
    /// </summary>
    public static IReadOnlyList<RepositoryEntry> Select(
        string projectPath,
        string commitId,
        IReadOnlyList<RepositoryEntry> files,
        IReadOnlyList<ManifestPath> paths,
        GitOpsServerOptions limits)
    {
        var selected = new SortedDictionary<string, RepositoryEntry>(StringComparer.Ordinal);
        var globs = paths.Where(p => p.Glob is not null).Select(p => p.Glob!).ToList();
        if (globs.Count > 0)
        {
            foreach (var entry in files)
            {
                if (IsInHiddenDirectory(entry.Path))
                {
                    continue;
                }

                foreach (var glob in globs)
                {
                    if (glob.IsMatch(entry.Path))
                    {
                        selected[entry.Path] = entry;
                        break;
                    }
                }
            }
        }

        var filePaths = paths.Where(p => p.File is not null).Select(p => p.File!).ToList();
        if (filePaths.Count > 0)
        {
            var byPath = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
            foreach (var file in filePaths)
            {
                if (!byPath.TryGetValue(file, out var entry))
                {
                    throw new RpcException(new Status(
                        StatusCode.FailedPrecondition,
                        $"GitOps: file {file} listed in paths does not exist in project {projectPath} at commit {commitId}."));
                }

                selected[entry.Path] = entry;
            }
        }

        if (selected.Count > limits.MaxNumberOfFiles)
        {
            throw new RpcException(new Status(
                StatusCode.FailedPrecondition,
                $"GitOps: {selected.Count} files of project {projectPath} at commit {commitId} match the paths, more than the limit agent.gitops.max_number_of_files = {limits.MaxNumberOfFiles}; nothing was sent."));
        }

        long total = 0;
        foreach (var entry in selected.Values)
        {
            if (entry.Size > limits.MaxManifestFileSize)
            {
                throw new RpcException(new Status(
                    StatusCode.FailedPrecondition,
                    $"GitOps: file {entry.Path} of project {projectPath} at commit {commitId} is {entry.Size} bytes, more than the limit agent.gitops.max_manifest_file_size = {limits.MaxManifestFileSize} bytes; nothing was sent."));
            }

            total += entry.Size;
        }

        if (total > limits.MaxTotalManifestFileSize)
        {
            throw new RpcException(new Status(
                StatusCode.FailedPrecondition,
                $"GitOps: the {selected.Count} files of project {projectPath} at commit {commitId} total {total} bytes, more than the limit agent.gitops.max_total_manifest_file_size = {limits.MaxTotalManifestFileSize} bytes; nothing was sent."));
        }

        return [.. selected.Values];
    }

    /// <summary>Whether a directory component of <paramref name="path"/> starts with <c>.</c> (for example <c>.gitlab/</c>).</summary>
    public static bool IsInHiddenDirectory(string path)
    {
        var components = path.Split('/');
        for (var i = 0; i < components.Length - 1; i++)
        {
            if (components[i].StartsWith('.'))
            {
                return true;
            }
        }

        return false;
    }
}
