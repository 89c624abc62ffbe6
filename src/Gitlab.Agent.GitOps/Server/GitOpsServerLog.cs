using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.GitOps.Server;

internal static partial class GitOpsServerLog
{
    [LoggerMessage(EventId = 4000, EventName = "GitOpsNewCommit", Level = LogLevel.Information,
        Message = "GitOps: new commit {CommitId} in {ProjectId} for agent {AgentId}")]
    public static partial void NewCommit(ILogger logger, long agentId, string projectId, string commitId);

    [LoggerMessage(EventId = 4001, EventName = "GitOpsNoUpdates", Level = LogLevel.Debug,
        Message = "GitOps: no updates in {ProjectId} for agent {AgentId} (commit {CommitId})")]
    public static partial void NoUpdates(ILogger logger, long agentId, string projectId, string commitId);

    [LoggerMessage(EventId = 4002, EventName = "GitOpsFetchedFiles", Level = LogLevel.Information,
        Message = "GitOps: fetched files of {ProjectId} at {CommitId} for agent {AgentId}: {FilesVisited} visited, {FilesSent} sent, {BytesSent} bytes")]
    public static partial void FetchedFiles(ILogger logger, long agentId, string projectId, string commitId, int filesVisited, int filesSent, long bytesSent);

    [LoggerMessage(EventId = 4003, EventName = "GitOpsRequestFailed", Level = LogLevel.Warning,
        Message = "GitOps: failed to get objects to synchronize from {ProjectId} for agent {AgentId}: {Reason}")]
    public static partial void RequestFailed(ILogger logger, long agentId, string projectId, string reason);

    [LoggerMessage(EventId = 4004, EventName = "GitOpsSyncStateReported", Level = LogLevel.Debug,
        Message = "GitOps: agent {AgentId} reported sync state {Status} of {ProjectId} at {CommitId}")]
    public static partial void SyncStateReported(ILogger logger, long agentId, string projectId, string commitId, GitOpsSyncStatus status);

    [LoggerMessage(EventId = 4005, EventName = "GitOpsBadSyncStateReport", Level = LogLevel.Warning,
        Message = "GitOps: rejected a sync state report of agent {AgentId}: {Reason}")]
    public static partial void BadSyncStateReport(ILogger logger, long agentId, string reason);
}
