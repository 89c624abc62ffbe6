using Gitlab.Agent.Kas.Repositories;

namespace Gitlab.Agent.Kas.Registry;

/// <summary>
/// The agents KAS knows: projects, agents, their tokens, connection records and activity. The embedded default is a
/// SQLite database (<c>registry.sqlite.path</c>); every method throws <see cref="AgentRegistryException"/> for bad input.
/// </summary>
public interface IAgentRegistry
{
    /// <summary>Returns the project, creating it (private) when it does not exist yet.</summary>
    Task<ProjectInfo> EnsureProjectAsync(string projectPath, CancellationToken cancellationToken = default);

    /// <summary>Makes a project public or private, creating it when it does not exist yet.</summary>
    Task<ProjectInfo> SetProjectVisibilityAsync(string projectPath, bool isPublic, CancellationToken cancellationToken = default);

    /// <summary>Returns the project, or <see langword="null"/> when the registry does not know it.</summary>
    ValueTask<ProjectInfo?> GetProjectAsync(string projectPath, CancellationToken cancellationToken = default);

    /// <summary>Lists every project.</summary>
    Task<IReadOnlyList<ProjectInfo>> ListProjectsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Registers agent <paramref name="name"/> in <paramref name="projectPath"/> (the project is created on first use).
    /// Names are unique per project and must be valid agent names (lowercase DNS label).
    /// </summary>
    Task<AgentInfo> CreateAgentAsync(string projectPath, string name, CancellationToken cancellationToken = default);

    /// <summary>Returns the agent, or <see langword="null"/> when it does not exist.</summary>
    Task<AgentInfo?> GetAgentAsync(long agentId, CancellationToken cancellationToken = default);

    /// <summary>Returns the agent <paramref name="name"/> of <paramref name="projectPath"/>, or <see langword="null"/>.</summary>
    Task<AgentInfo?> FindAgentAsync(string projectPath, string name, CancellationToken cancellationToken = default);

    /// <summary>Lists agents, of one project when <paramref name="projectPath"/> is set, ordered by id.</summary>
    Task<IReadOnlyList<AgentInfo>> ListAgentsAsync(string? projectPath = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes the agent with its tokens, connections and activity.</summary>
    Task DeleteAgentAsync(long agentId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a token for the agent. The returned <see cref="NewAgentToken.Secret"/> is shown once: only its SHA-256
    /// hash is stored. An agent has at most two active tokens.
    /// </summary>
    Task<NewAgentToken> CreateTokenAsync(long agentId, string name, string? description = null, CancellationToken cancellationToken = default);

    /// <summary>Lists the agent's tokens (active and revoked), ordered by id.</summary>
    Task<IReadOnlyList<AgentTokenInfo>> ListTokensAsync(long agentId, CancellationToken cancellationToken = default);

    /// <summary>Revokes a token: the next call or configuration poll with it fails with <c>Unauthenticated</c>.</summary>
    Task RevokeTokenAsync(long tokenId, CancellationToken cancellationToken = default);

    /// <summary>Deletes a token (revoked or not).</summary>
    Task DeleteTokenAsync(long tokenId, CancellationToken cancellationToken = default);

    /// <summary>Records that an agentk instance connected (or is still connected); adds an <c>agent_connected</c> event for new connections.</summary>
    Task RecordConnectionAsync(AgentConnectionInfo connection, CancellationToken cancellationToken = default);

    /// <summary>Marks a connection as ended and adds an <c>agent_disconnected</c> event.</summary>
    Task RecordDisconnectionAsync(long agentId, long connectionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists connection records, of one agent when <paramref name="agentId"/> is set. With <paramref name="connectedOnly"/>,
    /// only connections that have not ended and were seen within the connection TTL.
    /// </summary>
    Task<IReadOnlyList<AgentConnectionInfo>> ListConnectionsAsync(long? agentId = null, bool connectedOnly = true, CancellationToken cancellationToken = default);

    /// <summary>Lists the agent's activity, newest first.</summary>
    Task<IReadOnlyList<AgentActivityEvent>> ListActivityAsync(long agentId, int limit = 200, CancellationToken cancellationToken = default);

    /// <summary>Records that the configuration at <paramref name="commitId"/> was sent to the agent (clears the last error).</summary>
    Task RecordConfigurationAppliedAsync(long agentId, string commitId, CancellationToken cancellationToken = default);

    /// <summary>Records that the configuration at <paramref name="commitId"/> is invalid.</summary>
    Task RecordConfigurationErrorAsync(long agentId, string commitId, string error, CancellationToken cancellationToken = default);
}
