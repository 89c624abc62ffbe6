using Gitlab.Agent.Kas.Modules;
using Grpc.Core;

namespace Gitlab.Agent.GitOps.Server;

internal static class GitOpsCallContext
{
    /// <summary>The authenticated agent of a call on the agent listener.</summary>
    public static AgentIdentity GetAgent(ServerCallContext context) =>
        context.GetHttpContext().Features.Get<AgentIdentity>()
        ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "GitOps: the call carries no authenticated agent."));
}
