using Grpc.Core;

namespace Gitlab.Agent.Tunnel.Server;

/// <summary>
/// Lets KAS code call gRPC services that agents expose through their reverse tunnels, e.g.
/// <c>new KubernetesApi.KubernetesApiClient(provider.GetCallInvoker(agentId)).MakeRequest()</c>.
/// Each call takes one idle tunnel of the agent (waiting up to <see cref="TunnelServerOptions.FindTimeout"/>, then
/// failing with <c>DeadlineExceeded</c> "Agent connection not found. Is agent up to date and connected?").
/// </summary>
public interface ITunnelConnectionProvider
{
    /// <summary>A call invoker whose calls go to agent <paramref name="agentId"/> through its tunnels.</summary>
    CallInvoker GetCallInvoker(long agentId);

    /// <summary>Number of idle tunnels the agent currently has parked at this KAS.</summary>
    int GetIdleTunnelCount(long agentId);
}
