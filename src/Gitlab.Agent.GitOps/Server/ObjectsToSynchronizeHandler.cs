using System.Threading.Channels;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.Protocol.GitOps;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.GitOps.Server;

/// <summary>
/// Serves one <c>Gitops/GetObjectsToSynchronize</c> stream: waits until the requested ref points at a commit other
/// than the agent's, then sends header, the selected files in ≤128 KiB chunks, trailer, and ends the stream.
/// </summary>
internal sealed class ObjectsToSynchronizeHandler(
    IRepositorySource repositories,
    IProjectChangeNotifier changes,
    ManifestProjectAuthorizer authorizer,
    IOptionsMonitor<GitOpsServerOptions> options,
    TimeProvider timeProvider,
    ILogger<ObjectsToSynchronizeHandler> logger)
{
    /// <summary>Largest <c>Object.data</c> chunk.</summary>
    internal const int ChunkSize = 128 * 1024;

    public async Task RunAsync(
        AgentIdentity agent,
        ObjectsToSynchronizeRequest request,
        IAsyncStreamWriter<ObjectsToSynchronizeResponse> writer,
        Func<CancellationToken, ValueTask<bool>>? stillAuthenticated,
        CancellationToken cancellationToken)
    {
        var projectPath = string.IsNullOrWhiteSpace(request.ProjectId) ? agent.ProjectPath : request.ProjectId.Trim('/');
        try
        {
            await RunCoreAsync(agent, projectPath, request, writer, stillAuthenticated, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
        {
            GitOpsServerLog.RequestFailed(logger, agent.AgentId, projectPath, e.Status.Detail);
            throw;
        }
    }

    private async Task RunCoreAsync(
        AgentIdentity agent,
        string projectPath,
        ObjectsToSynchronizeRequest request,
        IAsyncStreamWriter<ObjectsToSynchronizeResponse> writer,
        Func<CancellationToken, ValueTask<bool>>? stillAuthenticated,
        CancellationToken cancellationToken)
    {
        var limits = options.CurrentValue;
        var paths = ManifestSelection.ParsePaths(request.Paths, limits.MaxNumberOfPaths);
        var reference = ToReference(request.Ref);
        var project = await authorizer.AuthorizeAsync(agent, projectPath, cancellationToken).ConfigureAwait(false);

        using var watchCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var watchTask = WatchProjectAsync(project.Path, changed.Writer, watchCts.Token);
        try
        {
            string commitId;
            while (true)
            {
                commitId = await ResolveAsync(project.Path, reference, cancellationToken).ConfigureAwait(false);
                if (!string.Equals(commitId, request.CommitId, StringComparison.OrdinalIgnoreCase))
                {
                    break;
                }

                GitOpsServerLog.NoUpdates(logger, agent.AgentId, project.Path, commitId);
                if (reference?.Kind == GitReferenceKind.Commit)
                {
                    // A pinned commit never changes: keep the stream open until the client or KAS closes it.
                    await Task.Delay(Timeout.InfiniteTimeSpan, timeProvider, cancellationToken).ConfigureAwait(false);
                }

                using var delayCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var delay = Task.Delay(options.CurrentValue.PollPeriod, timeProvider, delayCts.Token);
                var signal = changed.Reader.WaitToReadAsync(cancellationToken).AsTask();
                await Task.WhenAny(delay, signal).ConfigureAwait(false);
                await delayCts.CancelAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                changed.Reader.TryRead(out _);
                if (stillAuthenticated is not null && !await stillAuthenticated(cancellationToken).ConfigureAwait(false))
                {
                    throw new RpcException(new Status(StatusCode.Unauthenticated, "GitOps: the agent token was revoked or its agent deleted."));
                }
            }

            GitOpsServerLog.NewCommit(logger, agent.AgentId, project.Path, commitId);
            var files = await ListAsync(project.Path, commitId, cancellationToken).ConfigureAwait(false);
            var selected = ManifestSelection.Select(project.Path, commitId, files, paths, limits);

            // Read everything before the header so a read failure never leaves the agent with a partial batch.
            var contents = new List<(string Path, byte[] Data)>(selected.Count);
            long total = 0;
            foreach (var entry in selected)
            {
                var data = await ReadAsync(project.Path, entry, cancellationToken).ConfigureAwait(false);
                total += data.Length;
                if (data.Length > limits.MaxManifestFileSize || total > limits.MaxTotalManifestFileSize)
                {
                    throw new RpcException(new Status(
                        StatusCode.FailedPrecondition,
                        $"GitOps: file {entry.Path} of project {project.Path} at commit {commitId} is {data.Length} bytes; with it the files total {total} bytes, over agent.gitops.max_manifest_file_size = {limits.MaxManifestFileSize} or max_total_manifest_file_size = {limits.MaxTotalManifestFileSize}; nothing was sent."));
                }

                contents.Add((entry.Path, data));
            }

            await writer.WriteAsync(new ObjectsToSynchronizeResponse
            {
                Header = new ObjectsToSynchronizeResponse.Types.Header { CommitId = commitId, ProjectId = project.Id },
            }, cancellationToken).ConfigureAwait(false);

            foreach (var (path, data) in contents)
            {
                var offset = 0;
                do
                {
                    var length = Math.Min(ChunkSize, data.Length - offset);
                    await writer.WriteAsync(new ObjectsToSynchronizeResponse
                    {
                        Object = new ObjectsToSynchronizeResponse.Types.Object
                        {
                            Source = path,
                            Data = ByteString.CopyFrom(data, offset, length),
                        },
                    }, cancellationToken).ConfigureAwait(false);
                    offset += length;
                }
                while (offset < data.Length);
            }

            await writer.WriteAsync(new ObjectsToSynchronizeResponse
            {
                Trailer = new ObjectsToSynchronizeResponse.Types.Trailer(),
            }, cancellationToken).ConfigureAwait(false);
            GitOpsServerLog.FetchedFiles(logger, agent.AgentId, project.Path, commitId, files.Count, contents.Count, total);
        }
        finally
        {
            await watchCts.CancelAsync().ConfigureAwait(false);
            try
            {
                await watchTask.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task WatchProjectAsync(string projectPath, ChannelWriter<bool> changed, CancellationToken cancellationToken)
    {
        await Task.Yield();
        await foreach (var path in changes.WatchAsync(cancellationToken).ConfigureAwait(false))
        {
            if (ManifestProjectAuthorizer.SamePath(path, projectPath))
            {
                changed.TryWrite(true);
            }
        }
    }

    private async Task<string> ResolveAsync(string projectPath, GitReference? reference, CancellationToken cancellationToken)
    {
        try
        {
            return await repositories.ResolveCommitAsync(projectPath, reference, cancellationToken).ConfigureAwait(false);
        }
        catch (RepositoryException e)
        {
            throw ToRpc(e, projectPath, reference is null ? "the default branch" : reference.ToString());
        }
    }

    private async Task<IReadOnlyList<RepositoryEntry>> ListAsync(string projectPath, string commitId, CancellationToken cancellationToken)
    {
        try
        {
            return await repositories.ListFilesAsync(projectPath, commitId, cancellationToken).ConfigureAwait(false);
        }
        catch (RepositoryException e)
        {
            throw ToRpc(e, projectPath, $"commit {commitId}");
        }
    }

    private async Task<byte[]> ReadAsync(string projectPath, RepositoryEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            return await repositories.ReadBlobAsync(projectPath, entry, cancellationToken).ConfigureAwait(false);
        }
        catch (RepositoryException e)
        {
            throw ToRpc(e, projectPath, $"file {entry.Path}");
        }
    }

    private static RpcException ToRpc(RepositoryException e, string projectPath, string what) => e.Kind switch
    {
        RepositoryErrorKind.ProjectNotFound => new RpcException(new Status(StatusCode.NotFound, $"GitOps: manifest project {projectPath} does not exist: {e.Message}")),
        RepositoryErrorKind.ReferenceNotFound => new RpcException(new Status(StatusCode.FailedPrecondition, $"GitOps: {what} of project {projectPath} does not exist: {e.Message}")),
        RepositoryErrorKind.TooLarge => new RpcException(new Status(StatusCode.FailedPrecondition, $"GitOps: {what} of project {projectPath} is too large: {e.Message}")),
        _ => new RpcException(new Status(StatusCode.Unavailable, $"GitOps: repository of project {projectPath} is unavailable ({what}): {e.Message}")),
    };

    internal static GitReference? ToReference(GitRefCF? reference) => reference?.RefCase switch
    {
        GitRefCF.RefOneofCase.Tag when reference.Tag.Length > 0 => new GitReference(GitReferenceKind.Tag, reference.Tag),
        GitRefCF.RefOneofCase.Branch when reference.Branch.Length > 0 => new GitReference(GitReferenceKind.Branch, reference.Branch),
        GitRefCF.RefOneofCase.Commit when reference.Commit.Length > 0 => new GitReference(GitReferenceKind.Commit, reference.Commit),
        null or GitRefCF.RefOneofCase.None => null,
        _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "GitOps: ref must set a non-empty tag, branch or commit.")),
    };
}
