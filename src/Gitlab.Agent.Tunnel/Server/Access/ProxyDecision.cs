using Gitlab.Agent.Protocol.KubernetesApi;

namespace Gitlab.Agent.Tunnel.Server.Access;

/// <summary>Outcome of authenticating and authorizing a proxy request.</summary>
internal sealed record ProxyDecision(int StatusCode, string? Error, ImpersonationConfig? Impersonation, string? DefaultNamespace, AgentConfigurationEntry? Agent)
{
    public bool Allowed => StatusCode == 200;

    public static ProxyDecision Allow(AgentConfigurationEntry agent, ImpersonationConfig? impersonation, string? defaultNamespace) =>
        new(200, null, impersonation, defaultNamespace, agent);

    public static ProxyDecision Unauthorized(string error) => new(401, error, null, null, null);

    public static ProxyDecision Forbidden(string error) => new(403, error, null, null, null);
}
