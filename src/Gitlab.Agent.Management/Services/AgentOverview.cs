using Gitlab.Agent.Kas.Registry;

namespace Gitlab.Agent.Management.Services;

/// <summary>An agent with its live state, as the UI, REST and GraphQL show it.</summary>
/// <param name="Agent">The agent.</param>
/// <param name="Status">Connected / not connected / never connected.</param>
/// <param name="LastContact">Latest of the connections' last-seen times and the tokens' last use.</param>
/// <param name="LiveConnections">Open connections seen within the connection TTL.</param>
/// <param name="Version">agentk version of the most recently seen connection.</param>
/// <param name="VersionMismatch">Whether <paramref name="Version"/>'s major.minor differs from the KAS version.</param>
internal sealed record AgentOverview(
    AgentInfo Agent,
    AgentConnectionStatus Status,
    DateTimeOffset? LastContact,
    IReadOnlyList<AgentConnectionInfo> LiveConnections,
    string? Version,
    bool VersionMismatch)
{
    /// <summary>The agent's configuration file in its project.</summary>
    public string ConfigPath => $".gitlab/agents/{Agent.Name}/config.yaml";
}
