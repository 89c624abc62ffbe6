using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Protocol.AgentRegistrar;
using Grpc.Core;
using AgentRegistrarRpc = Gitlab.Agent.Protocol.AgentRegistrar.AgentRegistrar;

namespace Gitlab.Agent.Kas.Services;

/// <summary><c>AgentRegistrar/Register</c>: records (or refreshes) the connection of an agentk pod, keyed by its <c>pod_id</c>.</summary>
internal sealed class AgentRegistrarService(IAgentRegistry registry, TimeProvider timeProvider) : AgentRegistrarRpc.AgentRegistrarBase
{
    public override async Task<RegisterResponse> Register(RegisterRequest request, ServerCallContext context)
    {
        var agent = context.GetAgentIdentity();
        if (request.PodId == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "pod_id must be set"));
        }

        var meta = request.AgentMeta;
        var now = timeProvider.GetUtcNow();
        await registry.RecordConnectionAsync(
            new AgentConnectionInfo(agent.AgentId, request.PodId, now, now)
            {
                Version = meta?.Version,
                CommitId = meta?.CommitId,
                PodNamespace = meta?.PodNamespace,
                PodName = meta?.PodName,
                KubernetesVersion = meta?.KubernetesVersion?.GitVersion,
            },
            context.CancellationToken);
        return new RegisterResponse();
    }
}
