using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Agentk.Logging;

/// <summary>Source-generated log messages of the agentk runtime (event ids 3000–3099).</summary>
internal static partial class AgentkLog
{
    [LoggerMessage(EventId = 3000, EventName = "AgentkStarting", Level = LogLevel.Information,
        Message = "Starting agentk")]
    public static partial void Starting(ILogger logger, string version, string commit, Uri kasAddress);

    [LoggerMessage(EventId = 3001, EventName = "ConfigNewCommit", Level = LogLevel.Information,
        Message = "Config: new commit")]
    public static partial void ConfigNewCommit(ILogger logger, long agentId, string commitId);

    [LoggerMessage(EventId = 3002, EventName = "ConfigStreamEnded", Level = LogLevel.Debug,
        Message = "Config: KAS ended the configuration stream, reconnecting")]
    public static partial void ConfigStreamEnded(ILogger logger, string commitId);

    [LoggerMessage(EventId = 3003, EventName = "KasCallFailed", Level = LogLevel.Error,
        Message = "{Reason}")]
    public static partial void KasCallFailed(ILogger logger, string reason, double retryInSeconds, Exception exception);

    [LoggerMessage(EventId = 3004, EventName = "KasUnauthenticated", Level = LogLevel.Error,
        Message = "{Reason}")]
    public static partial void KasUnauthenticated(ILogger logger, string reason, double retryInSeconds);

    [LoggerMessage(EventId = 3005, EventName = "ConfigRejected", Level = LogLevel.Error,
        Message = "Config: KAS rejected the agent configuration, keeping the previous one: {Detail}")]
    public static partial void ConfigRejected(ILogger logger, string detail, string commitId, double retryInSeconds);

    [LoggerMessage(EventId = 3006, EventName = "LogLevelChanged", Level = LogLevel.Information,
        Message = "Observability: log level changed")]
    public static partial void LogLevelChanged(ILogger logger, string level, string grpcLevel);

    [LoggerMessage(EventId = 3007, EventName = "ModuleStarting", Level = LogLevel.Debug,
        Message = "Starting module")]
    public static partial void ModuleStarting(ILogger logger, string modName);

    [LoggerMessage(EventId = 3008, EventName = "ModuleFailed", Level = LogLevel.Critical,
        Message = "Module stopped with an error, stopping agentk")]
    public static partial void ModuleFailed(ILogger logger, string modName, Exception exception);

    [LoggerMessage(EventId = 3009, EventName = "ModuleReturned", Level = LogLevel.Critical,
        Message = "Module returned while agentk was running, stopping agentk")]
    public static partial void ModuleReturned(ILogger logger, string modName);

    [LoggerMessage(EventId = 3010, EventName = "RegisterFailed", Level = LogLevel.Warning,
        Message = "Registrar: {Reason}")]
    public static partial void RegisterFailed(ILogger logger, string reason, double retryInSeconds);

    [LoggerMessage(EventId = 3011, EventName = "RegisterUnimplemented", Level = LogLevel.Information,
        Message = "Registrar: KAS does not implement AgentRegistrar/Register; the configuration stream registers the agent instead")]
    public static partial void RegisterUnimplemented(ILogger logger);

    [LoggerMessage(EventId = 3012, EventName = "KubernetesVersionUnavailable", Level = LogLevel.Debug,
        Message = "Kubernetes: server version unavailable")]
    public static partial void KubernetesVersionUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3013, EventName = "ObservabilityListening", Level = LogLevel.Information,
        Message = "Observability: serving /metrics, /liveness and /readiness")]
    public static partial void ObservabilityListening(ILogger logger, string netAddress);

    [LoggerMessage(EventId = 3014, EventName = "ConfigConnecting", Level = LogLevel.Debug,
        Message = "Config: requesting the agent configuration")]
    public static partial void ConfigConnecting(ILogger logger, string commitId);

    [LoggerMessage(EventId = 3015, EventName = "Registered", Level = LogLevel.Debug,
        Message = "Registrar: registered with KAS")]
    public static partial void Registered(ILogger logger, long podId);

    [LoggerMessage(EventId = 3016, EventName = "KubernetesVersion", Level = LogLevel.Information,
        Message = "Kubernetes: connected to the API server")]
    public static partial void KubernetesVersion(ILogger logger, string kubernetesVersion);

    [LoggerMessage(EventId = 3017, EventName = "InvalidOptions", Level = LogLevel.Critical,
        Message = "Invalid agentk options: {Reason}")]
    public static partial void InvalidOptions(ILogger logger, string reason);

    [LoggerMessage(EventId = 3018, EventName = "RegisterFailedBeforeConnected", Level = LogLevel.Debug,
        Message = "Registrar: {Reason}")]
    public static partial void RegisterFailedBeforeConnected(ILogger logger, string reason, double retryInSeconds);
}
