namespace Gitlab.Agent.Kas.Registry;

/// <summary>One entry of an agent's activity list.</summary>
/// <param name="Id">Unique id.</param>
/// <param name="AgentId">The agent.</param>
/// <param name="Kind">What happened.</param>
/// <param name="OccurredAt">When it happened.</param>
/// <param name="TokenId">The token concerned, for token events.</param>
/// <param name="ConnectionId">The connection concerned, for connection events.</param>
public sealed record AgentActivityEvent(long Id, long AgentId, AgentActivityKind Kind, DateTimeOffset OccurredAt, long? TokenId, long? ConnectionId);

/// <summary>Kinds of <see cref="AgentActivityEvent"/> (GitLab's activity event names).</summary>
public enum AgentActivityKind
{
    /// <summary><c>token_created</c>.</summary>
    TokenCreated,

    /// <summary><c>token_revoked</c>.</summary>
    TokenRevoked,

    /// <summary><c>agent_connected</c>.</summary>
    AgentConnected,

    /// <summary><c>agent_disconnected</c>.</summary>
    AgentDisconnected,
}
