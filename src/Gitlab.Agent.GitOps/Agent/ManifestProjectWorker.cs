using System.Threading.Channels;
using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Protocol.GitOps;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.GitOps.Agent;

/// <summary>
/// Synchronizes one manifest project: keeps a <c>GetObjectsToSynchronize</c> stream to KAS (backoff on errors),
/// assembles header/objects/trailer into a batch, and applies the latest batch. A newer commit cancels the sync in
/// flight; watches correct drift; the last batch is re-synchronized every <see cref="GitOpsAgentOptions.ResyncPeriod"/>.
/// </summary>
internal sealed class ManifestProjectWorker(
    ManifestProjectSettings settings,
    long agentId,
    IKasConnection kas,
    SyncEngine engine,
    ObjectClaims claims,
    SyncStateReporter reporter,
    GitOpsAgentOptions options,
    TimeProvider timeProvider,
    ILogger logger)
{
    private readonly SemaphoreSlim _syncLock = new(1, 1);
    private SyncOutcome? _lastOutcome;

    public string InventoryId { get; } = $"{agentId}-{ManifestProjectSettings.ProjectHash(settings.ProjectPath)}";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var state = new ProjectSyncState(settings, new InventoryStore(engine.Client, InventoryId, settings.DefaultNamespace));
        var batches = Channel.CreateBounded<SyncBatch>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        var drifted = Channel.CreateUnbounded<ObjectId>();
        await using var watcher = new DriftWatcher(engine, state, drifted.Writer, logger);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var tasks = new List<Task>
            {
                ReceiveAsync(batches.Writer, stop.Token),
                SyncLoopAsync(state, batches.Reader, watcher, stop.Token),
            };
            if (options.DriftCorrection)
            {
                tasks.Add(DriftLoopAsync(state, drifted.Reader, stop.Token));
            }

            var first = await Task.WhenAny(tasks).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }

            await first.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            claims.ReleaseAll(settings.ProjectPath);
        }
    }

    private ObjectsToSynchronizeRequest CreateRequest(string commitId)
    {
        var request = new ObjectsToSynchronizeRequest { ProjectId = settings.ProjectPath, CommitId = commitId };
        foreach (var glob in settings.Globs)
        {
            request.Paths.Add(new PathCF { Glob = glob });
        }

        if (settings.Ref is { } r)
        {
            request.Ref = r.RefCase switch
            {
                Protocol.AgentCfg.GitRefCF.RefOneofCase.Tag => new GitRefCF { Tag = r.Tag },
                Protocol.AgentCfg.GitRefCF.RefOneofCase.Branch => new GitRefCF { Branch = r.Branch },
                _ => new GitRefCF { Commit = r.Commit },
            };
        }

        return request;
    }

    private async Task ReceiveAsync(ChannelWriter<SyncBatch> batches, CancellationToken cancellationToken)
    {
        var client = new Gitops.GitopsClient(kas.CallInvoker);
        var backoff = new Backoff(options.RetryInitialBackoff, options.RetryMaxBackoff);
        var commitId = "";
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var call = client.GetObjectsToSynchronize(CreateRequest(commitId), cancellationToken: cancellationToken);
                ObjectsToSynchronizeResponse.Types.Header? header = null;
                var files = new List<(string Source, byte[] Data)>();
                string? source = null;
                var buffer = new MemoryStream();
                var complete = false;
                await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    switch (message.MessageCase)
                    {
                        case ObjectsToSynchronizeResponse.MessageOneofCase.Header when header is null:
                            header = message.Header;
                            break;
                        case ObjectsToSynchronizeResponse.MessageOneofCase.Object when header is not null && !complete:
                            if (source != message.Object.Source)
                            {
                                Flush(files, source, buffer);
                                source = message.Object.Source;
                            }

                            message.Object.Data.WriteTo(buffer);
                            break;
                        case ObjectsToSynchronizeResponse.MessageOneofCase.Trailer when header is not null && !complete:
                            Flush(files, source, buffer);
                            complete = true;
                            break;
                        default:
                            throw new RpcException(new Status(StatusCode.Internal, $"GitOps: unexpected {message.MessageCase} message from KAS (expected header → object* → trailer)"));
                    }
                }

                if (header is not null && !complete)
                {
                    throw new RpcException(new Status(StatusCode.Unavailable, "GitOps: the stream from KAS ended before the trailer; the partial batch was dropped"));
                }

                backoff.Reset();
                if (header is not null)
                {
                    commitId = header.CommitId;
                    await batches.WriteAsync(new SyncBatch(header.CommitId, header.ProjectId, files), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var rpc = e as RpcException ?? new RpcException(new Status(StatusCode.Unavailable, e.Message));
                var delay = backoff.Next();
                var reason = $"{rpc.StatusCode}: {rpc.Status.Detail}";
                GitOpsAgentLog.StreamFailed(logger, settings.ProjectPath, delay, reason);
                await ReportFetchFailureAsync(rpc, cancellationToken).ConfigureAwait(false);
                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static void Flush(List<(string Source, byte[] Data)> files, string? source, MemoryStream buffer)
    {
        if (source is not null)
        {
            files.Add((source, buffer.ToArray()));
        }

        buffer.SetLength(0);
    }

    private async Task ReportFetchFailureAsync(RpcException e, CancellationToken cancellationToken)
    {
        var last = _lastOutcome;
        await reporter.SendAsync(new GitOpsSyncState
        {
            ProjectId = settings.ProjectPath,
            CommitId = last?.CommitId ?? "",
            Status = GitOpsSyncStatus.Failed,
            Message = $"cannot fetch manifests from KAS ({e.StatusCode}): {e.Status.Detail}; nothing was applied or pruned",
            SyncedAt = timeProvider.GetUtcNow(),
            Objects = last is null ? [] : [.. last.Objects],
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task SyncLoopAsync(ProjectSyncState state, ChannelReader<SyncBatch> batches, DriftWatcher watcher, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(options.RetryInitialBackoff, TimeSpan.FromTicks(Math.Min(options.RetryMaxBackoff.Ticks, options.ResyncPeriod.Ticks)));
        SyncBatch? current = null;
        Task<bool>? syncTask = null;
        CancellationTokenSource? syncCts = null;
        var nextResync = DateTimeOffset.MaxValue;
        try
        {
            while (true)
            {
                var waits = new List<Task> { batches.WaitToReadAsync(cancellationToken).AsTask() };
                if (syncTask is not null)
                {
                    waits.Add(syncTask);
                }

                using var delayCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                if (syncTask is null && current is not null && nextResync != DateTimeOffset.MaxValue)
                {
                    var wait = nextResync - timeProvider.GetUtcNow();
                    waits.Add(Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, timeProvider, delayCts.Token));
                }

                await Task.WhenAny(waits).ConfigureAwait(false);
                await delayCts.CancelAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();

                if (batches.TryRead(out var batch))
                {
                    if (syncTask is not null)
                    {
                        await syncCts!.CancelAsync().ConfigureAwait(false);
                        if (!syncTask.IsCompleted)
                        {
                            GitOpsAgentLog.SyncCanceled(logger, settings.ProjectPath, current!.CommitId);
                        }

                        await Quietly(syncTask).ConfigureAwait(false);
                        syncCts.Dispose();
                        syncTask = null;
                    }

                    current = batch;
                    backoff.Reset();
                    syncCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    syncTask = RunSyncAsync(state, batch, watcher, resync: false, syncCts.Token);
                    continue;
                }

                if (syncTask is { IsCompleted: true })
                {
                    var ok = await Quietly(syncTask).ConfigureAwait(false);
                    syncCts!.Dispose();
                    syncTask = null;
                    var delay = ok ? options.ResyncPeriod : backoff.Next();
                    if (ok)
                    {
                        backoff.Reset();
                    }

                    nextResync = timeProvider.GetUtcNow() + delay;
                    continue;
                }

                if (syncTask is null && current is not null && timeProvider.GetUtcNow() >= nextResync)
                {
                    nextResync = DateTimeOffset.MaxValue;
                    syncCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    syncTask = RunSyncAsync(state, current, watcher, resync: true, syncCts.Token);
                }
            }
        }
        finally
        {
            if (syncTask is not null)
            {
                await syncCts!.CancelAsync().ConfigureAwait(false);
                await Quietly(syncTask).ConfigureAwait(false);
                syncCts.Dispose();
            }
        }
    }

    /// <summary>Runs one synchronization; returns whether it succeeded (no failed object).</summary>
    private async Task<bool> RunSyncAsync(ProjectSyncState state, SyncBatch batch, DriftWatcher watcher, bool resync, CancellationToken cancellationToken)
    {
        SyncOutcome outcome;
        await _syncLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            state.LastBatch = batch;
            outcome = await engine.SyncAsync(state, batch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            GitOpsAgentLog.SyncFailed(logger, settings.ProjectPath, batch.CommitId, e.Message);
            outcome = new SyncOutcome
            {
                CommitId = batch.CommitId,
                Status = GitOpsSyncStatus.Failed,
                Message = $"synchronization failed, nothing was pruned: {e.Message}",
            };
            if (_lastOutcome is { } previous && previous.CommitId == batch.CommitId)
            {
                outcome.Objects.AddRange(previous.Objects);
            }

            _lastOutcome = outcome;
            await reporter.ReportAsync(settings.ProjectPath, outcome, cancellationToken).ConfigureAwait(false);
            return false;
        }
        finally
        {
            _syncLock.Release();
        }

        if (options.DriftCorrection)
        {
            await watcher.UpdateAsync().ConfigureAwait(false);
        }

        var changed = !resync || _lastOutcome is null ||
            outcome.Objects.Any(o => o.Result is not GitOpsObjectResult.Unchanged) ||
            outcome.Status == GitOpsSyncStatus.Failed;
        if (!changed)
        {
            return true; // a resync that found everything as desired: the last report still holds
        }

        var readinessPending = outcome.Status == GitOpsSyncStatus.Syncing;
        _lastOutcome = outcome;
        await reporter.ReportAsync(settings.ProjectPath, outcome, cancellationToken).ConfigureAwait(false);
        await engine.AwaitReadinessAsync(state, outcome, cancellationToken).ConfigureAwait(false);
        if (readinessPending || outcome.Status is GitOpsSyncStatus.Synced or GitOpsSyncStatus.NotReady)
        {
            await reporter.ReportAsync(settings.ProjectPath, outcome, cancellationToken).ConfigureAwait(false);
        }

        return outcome.Status != GitOpsSyncStatus.Failed;
    }

    private async Task DriftLoopAsync(ProjectSyncState state, ChannelReader<ObjectId> drifted, CancellationToken cancellationToken)
    {
        while (await drifted.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (options.DriftDebounce > TimeSpan.Zero)
            {
                await Task.Delay(options.DriftDebounce, timeProvider, cancellationToken).ConfigureAwait(false);
            }

            var ids = new HashSet<ObjectId>();
            while (drifted.TryRead(out var id))
            {
                ids.Add(id);
            }

            List<GitOpsObjectState> results;
            await _syncLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                results = await engine.RepairAsync(state, ids, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                GitOpsAgentLog.WatchFailed(logger, settings.ProjectPath, "drift correction", e.Message);
                continue;
            }
            finally
            {
                _syncLock.Release();
            }

            if (results.Count > 0 && _lastOutcome is { } last)
            {
                // Entries without a resource key (files that did not decode) can repeat; keep every entry in order.
                var repaired = new Dictionary<string, GitOpsObjectState>(StringComparer.Ordinal);
                foreach (var result in results)
                {
                    repaired[result.ResourceKey] = result with { Message = $"drift corrected: {result.Message}" };
                }

                var merged = last.Objects
                    .Select(o => o.ResourceKey.Length > 0 && repaired.Remove(o.ResourceKey, out var r) ? r : o)
                    .ToList();
                merged.AddRange(repaired.Values);

                await reporter.SendAsync(new GitOpsSyncState
                {
                    ProjectId = settings.ProjectPath,
                    CommitId = last.CommitId,
                    Status = results.Any(r => r.Result == GitOpsObjectResult.Failed) ? GitOpsSyncStatus.Failed : last.Status,
                    Message = last.Message,
                    SyncedAt = timeProvider.GetUtcNow(),
                    Objects = merged,
                }, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task<bool> Quietly(Task<bool> task)
    {
        try
        {
            return await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            return false;
        }
    }
}
