using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Protocol.AgentTracker;
using Gitlab.Agent.Protocol.AgentTracker.Rpc;
using Gitlab.Agent.Protocol.Entity;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using AgentTrackerRpc = Gitlab.Agent.Protocol.AgentTracker.Rpc.AgentTracker;

namespace Gitlab.Agent.Kas.Services;

/// <summary><c>AgentTracker/GetConnectedAgents</c> on the API listener, answered from the registry's connection records.</summary>
internal sealed class AgentTrackerService(IAgentRegistry registry) : AgentTrackerRpc.AgentTrackerBase
{
    public override async Task<GetConnectedAgentsResponse> GetConnectedAgents(GetConnectedAgentsRequest request, ServerCallContext context)
    {
        IEnumerable<AgentConnectionInfo> connections = request.RequestCase switch
        {
            GetConnectedAgentsRequest.RequestOneofCase.AgentId => await registry.ListConnectionsAsync(request.AgentId, true, context.CancellationToken),
            GetConnectedAgentsRequest.RequestOneofCase.ProjectId =>
                (await registry.ListConnectionsAsync(null, true, context.CancellationToken)).Where(c => c.ProjectId == request.ProjectId),
            _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "either project_id or agent_id must be set")),
        };
        var response = new GetConnectedAgentsResponse();
        response.Agents.AddRange(connections.Select(c => new ConnectedAgentInfo
        {
            AgentId = c.AgentId,
            ProjectId = c.ProjectId,
            ConnectionId = c.ConnectionId,
            ConnectedAt = Timestamp.FromDateTimeOffset(c.ConnectedAt),
            AgentMeta = new AgentMeta
            {
                Version = c.Version ?? "",
                CommitId = c.CommitId ?? "",
                PodNamespace = c.PodNamespace ?? "",
                PodName = c.PodName ?? "",
                KubernetesVersion = c.KubernetesVersion is null ? null : new KubernetesVersion { GitVersion = c.KubernetesVersion },
            },
        }));
        return response;
    }
}

/// <summary>Built-in module: <c>AgentTracker</c> on the API listener.</summary>
internal sealed class AgentTrackerModule : IKasModule
{
    public string Name => "agent_tracker";

    public void MapEndpoints(KasListener listener, IEndpointRouteBuilder endpoints)
    {
        if (listener == KasListener.Api)
        {
            endpoints.MapGrpcService<AgentTrackerService>();
        }
    }
}
