namespace Gitlab.Agent.Tunnel.Agent;

/// <summary>A gRPC service agentk exposes to KAS through its tunnels (listed in each stream's descriptor).</summary>
internal interface IAgentTunnelHandler
{
    /// <summary>Fully qualified service name, e.g. <c>gitlab.agent.kubernetes_api.rpc.KubernetesApi</c>.</summary>
    string ServiceName { get; }

    /// <summary>Method names of the service, e.g. <c>MakeRequest</c>.</summary>
    IReadOnlyList<string> MethodNames { get; }

    /// <summary>Serves one call. Throw <see cref="Grpc.Core.RpcException"/> to answer with a status.</summary>
    Task HandleAsync(AgentTunnelCall call, CancellationToken cancellationToken);
}
