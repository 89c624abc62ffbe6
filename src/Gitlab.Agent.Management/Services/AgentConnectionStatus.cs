namespace Gitlab.Agent.Management.Services;

/// <summary>Connection status of an agent as the UI shows it.</summary>
internal enum AgentConnectionStatus
{
    /// <summary>No connection was ever recorded and no token was ever used.</summary>
    NeverConnected,

    /// <summary>The agent connected before but has no live connection now.</summary>
    NotConnected,

    /// <summary>At least one live connection.</summary>
    Connected,
}
