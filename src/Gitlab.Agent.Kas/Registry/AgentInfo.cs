namespace Gitlab.Agent.Kas.Registry;

/// <summary>A registered agent.</summary>
/// <param name="Id">Unique id.</param>
/// <param name="Name">Agent name; its configuration is <c>.gitlab/agents/&lt;name&gt;/config.yaml</c>.</param>
/// <param name="ProjectId">Id of the configuration project.</param>
/// <param name="ProjectPath">Path of the configuration project.</param>
/// <param name="CreatedAt">When the agent was registered.</param>
public sealed record AgentInfo(long Id, string Name, long ProjectId, string ProjectPath, DateTimeOffset CreatedAt)
{
    /// <summary>Commit of the last configuration sent to the agent.</summary>
    public string? LastConfigurationCommit { get; init; }

    /// <summary>When the last configuration was sent.</summary>
    public DateTimeOffset? LastConfigurationAt { get; init; }

    /// <summary>The last configuration error (file:line:col: path: message), cleared when a valid configuration is sent.</summary>
    public string? LastConfigurationError { get; init; }

    /// <summary>Commit of <see cref="LastConfigurationError"/>.</summary>
    public string? LastConfigurationErrorCommit { get; init; }
}
