using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.GitOps.Agent;

internal static partial class GitOpsAgentLog
{
#pragma warning disable SYSLIB1015 // fields carried as structured state, GitLab's message text stays "Synced"
    [LoggerMessage(EventId = 4100, EventName = "GitOpsSynced", Level = LogLevel.Information, Message = "Synced")]
    public static partial void Synced(ILogger logger, string projectId, string resourceKey, string syncResult);

    [LoggerMessage(EventId = 4101, EventName = "GitOpsSyncFailedObject", Level = LogLevel.Warning, Message = "Synced")]
    public static partial void SyncedWithError(ILogger logger, string projectId, string resourceKey, string syncResult);
#pragma warning restore SYSLIB1015

    [LoggerMessage(EventId = 4102, EventName = "GitOpsStartingWorker", Level = LogLevel.Information,
        Message = "Starting synchronization worker for {ProjectId} ({Ref})")]
    public static partial void StartingWorker(ILogger logger, string projectId, string @ref);

    [LoggerMessage(EventId = 4103, EventName = "GitOpsRestartingWorker", Level = LogLevel.Information,
        Message = "Configuration has been updated, restarting synchronization worker for {ProjectId}")]
    public static partial void RestartingWorker(ILogger logger, string projectId);

    [LoggerMessage(EventId = 4104, EventName = "GitOpsStoppingWorker", Level = LogLevel.Information,
        Message = "Stopping synchronization worker for {ProjectId}")]
    public static partial void StoppingWorker(ILogger logger, string projectId);

    [LoggerMessage(EventId = 4105, EventName = "GitOpsInvalidProject", Level = LogLevel.Error,
        Message = "GitOps configuration error: {Reason}")]
    public static partial void InvalidProject(ILogger logger, string reason);

    [LoggerMessage(EventId = 4106, EventName = "GitOpsStreamFailed", Level = LogLevel.Warning,
        Message = "GitOps: failed to get objects of {ProjectId} from KAS, retrying in {Backoff}: {Reason}")]
    public static partial void StreamFailed(ILogger logger, string projectId, TimeSpan backoff, string reason);

    [LoggerMessage(EventId = 4107, EventName = "GitOpsSynchronizing", Level = LogLevel.Information,
        Message = "Synchronizing objects of {ProjectId} at {CommitId}")]
    public static partial void Synchronizing(ILogger logger, string projectId, string commitId);

    [LoggerMessage(EventId = 4108, EventName = "GitOpsSynchronized", Level = LogLevel.Information,
        Message = "Objects synchronized for {ProjectId} at {CommitId}: {Status} ({Applied} applied, {Unchanged} unchanged, {Pruned} pruned, {Failed} failed, {Skipped} skipped)")]
    public static partial void Synchronized(ILogger logger, string projectId, string commitId, GitOpsSyncStatus status, int applied, int unchanged, int pruned, int failed, int skipped);

    [LoggerMessage(EventId = 4109, EventName = "GitOpsSyncFailed", Level = LogLevel.Error,
        Message = "Synchronization failed for {ProjectId} at {CommitId}: {Reason}")]
    public static partial void SyncFailed(ILogger logger, string projectId, string commitId, string reason);

    [LoggerMessage(EventId = 4110, EventName = "GitOpsDecodeFailed", Level = LogLevel.Error,
        Message = "Failed to decode GitOps objects of {ProjectId} at {CommitId}: {Location}: {Reason}; nothing is applied or pruned")]
    public static partial void DecodeFailed(ILogger logger, string projectId, string commitId, string location, string reason);

    [LoggerMessage(EventId = 4117, EventName = "GitOpsDecodeFailedApplyingRest", Level = LogLevel.Error,
        Message = "Failed to decode GitOps objects of {ProjectId} at {CommitId}: {Location}: {Reason}; apply_on_decode_error: the other files are applied, nothing is pruned")]
    public static partial void DecodeFailedApplyingRest(ILogger logger, string projectId, string commitId, string location, string reason);

    [LoggerMessage(EventId = 4111, EventName = "GitOpsPruneSkipped", Level = LogLevel.Warning,
        Message = "Prune skipped for {ProjectId} at {CommitId}: {Reason}")]
    public static partial void PruneSkipped(ILogger logger, string projectId, string commitId, string reason);

    [LoggerMessage(EventId = 4112, EventName = "GitOpsDriftDetected", Level = LogLevel.Information,
        Message = "Drift detected on {ResourceKey} of {ProjectId} ({Fields}), re-applying")]
    public static partial void DriftDetected(ILogger logger, string projectId, string resourceKey, string fields);

    [LoggerMessage(EventId = 4113, EventName = "GitOpsWatchFailed", Level = LogLevel.Debug,
        Message = "Watch of {Resource} for {ProjectId} ended: {Reason}")]
    public static partial void WatchFailed(ILogger logger, string projectId, string resource, string reason);

    [LoggerMessage(EventId = 4114, EventName = "GitOpsReportFailed", Level = LogLevel.Debug,
        Message = "Could not report the sync state of {ProjectId} to KAS: {Reason}")]
    public static partial void ReportFailed(ILogger logger, string projectId, string reason);

    [LoggerMessage(EventId = 4115, EventName = "GitOpsSyncCanceled", Level = LogLevel.Information,
        Message = "Synchronization of {ProjectId} at {CommitId} was canceled by a newer commit")]
    public static partial void SyncCanceled(ILogger logger, string projectId, string commitId);

    [LoggerMessage(EventId = 4116, EventName = "GitOpsNotReady", Level = LogLevel.Warning,
        Message = "{ResourceKey} of {ProjectId} is not ready after reconcile_timeout: {Reason}")]
    public static partial void NotReady(ILogger logger, string projectId, string resourceKey, string reason);
}
