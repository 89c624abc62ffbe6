using Gitlab.Agent.Kas.Registry;

namespace Gitlab.Agent.Management.Services;

/// <summary>GitLab's activity event names.</summary>
internal static class ActivityKinds
{
    public static string Name(AgentActivityKind kind) => kind switch
    {
        AgentActivityKind.TokenCreated => "token_created",
        AgentActivityKind.TokenRevoked => "token_revoked",
        AgentActivityKind.AgentConnected => "agent_connected",
        AgentActivityKind.AgentDisconnected => "agent_disconnected",
        _ => kind.ToString(),
    };
}
