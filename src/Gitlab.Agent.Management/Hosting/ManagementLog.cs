using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Management;

/// <summary>Log messages of the management module (event ids 7000–7999).</summary>
internal static partial class ManagementLog
{
    [LoggerMessage(EventId = 7000, EventName = "GraphqlResolverFailed", Level = LogLevel.Error, Message = "GraphQL field {Field} failed")]
    public static partial void GraphqlResolverFailed(ILogger logger, Exception exception, string field);

    [LoggerMessage(EventId = 7001, EventName = "AuthenticationFailed", Level = LogLevel.Debug, Message = "Management request to {Path} rejected: {Reason}")]
    public static partial void AuthenticationFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 7002, EventName = "AgentCreated", Level = LogLevel.Information, Message = "User {Username} created agent {AgentId} ({AgentName}) in project {ProjectPath}")]
    public static partial void AgentCreated(ILogger logger, string username, long agentId, string agentName, string projectPath);

    [LoggerMessage(EventId = 7003, EventName = "UiLogin", Level = LogLevel.Information, Message = "User {Username} signed in to the UI")]
    public static partial void UiLogin(ILogger logger, string username);

    [LoggerMessage(EventId = 7004, EventName = "OptionalStoreFailed", Level = LogLevel.Warning, Message = "Reading {Store} for agent {AgentId} failed")]
    public static partial void OptionalStoreFailed(ILogger logger, Exception exception, string store, long agentId);
}
