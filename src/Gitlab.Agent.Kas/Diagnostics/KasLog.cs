using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Kas.Diagnostics;

/// <summary>
/// Every log message of the KAS runtime (event ids 2000–2999). Messages keep the upstream vocabulary
/// (<c>Config: new commit</c>…) and structured fields (<c>agent_id</c>, <c>project_id</c>, <c>commit_id</c>).
/// </summary>
internal static partial class KasLog
{
    // 2000–2099 hosting and listeners
    [LoggerMessage(EventId = 2000, EventName = "Listening", Level = LogLevel.Information, Message = "Listening for {listener} connections on {net_address}")]
    public static partial void Listening(ILogger logger, string listener, string net_address);

    [LoggerMessage(EventId = 2001, EventName = "CoreLoopFailed", Level = LogLevel.Critical, Message = "KAS core loop {Service} failed; stopping")]
    public static partial void CoreLoopFailed(ILogger logger, Exception exception, string service);

    // 2100–2199 repositories
    [LoggerMessage(EventId = 2101, EventName = "RepositoryFetched", Level = LogLevel.Debug, Message = "Fetched project {project_path} from {url} in {elapsed_ms:F0} ms")]
    public static partial void RepositoryFetched(ILogger logger, string project_path, string url, double elapsed_ms);

    [LoggerMessage(EventId = 2102, EventName = "ServingStaleMirror", Level = LogLevel.Warning, Message = "Fetch of project {project_path} failed, serving the cached mirror: {error}")]
    public static partial void ServingStaleMirror(ILogger logger, string project_path, string error);

    [LoggerMessage(EventId = 2103, EventName = "RepositoryPollFailed", Level = LogLevel.Warning, Message = "Repository poll failed for project {project_path}: {error}")]
    public static partial void RepositoryPollFailed(ILogger logger, string project_path, string error);

    [LoggerMessage(EventId = 2104, EventName = "ProjectChanged", Level = LogLevel.Debug, Message = "Project {project_path} changed ({source})")]
    public static partial void ProjectChanged(ILogger logger, string project_path, string source);

    [LoggerMessage(EventId = 2105, EventName = "PushNotificationRejected", Level = LogLevel.Warning, Message = "Push notification rejected: {reason}")]
    public static partial void PushNotificationRejected(ILogger logger, string reason);

    // 2200–2299 authentication
    [LoggerMessage(EventId = 2200, EventName = "AuthenticationFailed", Level = LogLevel.Information, Message = "Agent authentication failed for {grpc_method}: {reason}")]
    public static partial void AuthenticationFailed(ILogger logger, string grpc_method, string reason);

    // 2300–2399 agent configuration
    [LoggerMessage(EventId = 2300, EventName = "ConfigNewCommit", Level = LogLevel.Information, Message = "Config: new commit")]
    public static partial void ConfigNewCommit(ILogger logger, long agent_id, long project_id, string commit_id);

    [LoggerMessage(EventId = 2301, EventName = "ConfigNoUpdates", Level = LogLevel.Debug, Message = "Config: no updates")]
    public static partial void ConfigNoUpdates(ILogger logger, long agent_id, long project_id, string commit_id);

    [LoggerMessage(EventId = 2302, EventName = "ConfigFailedToFetch", Level = LogLevel.Warning, Message = "Config: failed to fetch")]
    public static partial void ConfigFailedToFetch(ILogger logger, long agent_id, long project_id, string error);

    [LoggerMessage(EventId = 2303, EventName = "ConfigInvalid", Level = LogLevel.Warning, Message = "Config: invalid configuration: {error}")]
    public static partial void ConfigInvalid(ILogger logger, long agent_id, long project_id, string commit_id, string error);

    [LoggerMessage(EventId = 2304, EventName = "VersionSkew", Level = LogLevel.Warning, Message = "agentk version {agentk_version} differs from KAS version {kas_version} (major.minor); upgrade agentk or KAS so that they match")]
    public static partial void VersionSkew(ILogger logger, long agent_id, string agentk_version, string kas_version);

    [LoggerMessage(EventId = 2305, EventName = "RegistryWriteFailed", Level = LogLevel.Warning, Message = "Recording the connection of agent {agent_id} in the registry failed")]
    public static partial void RegistryWriteFailed(ILogger logger, Exception exception, long agent_id);
}
