using Gitlab.Agent.Protocol.GitOps;
using Grpc.Core;

namespace Gitlab.Agent.GitOps.Server;

/// <summary>The <c>gitlab.agent.gitops.rpc.Gitops</c> gRPC service on the agent listener.</summary>
internal sealed class GitopsService(ObjectsToSynchronizeHandler handler) : Gitops.GitopsBase
{
    public override Task GetObjectsToSynchronize(
        ObjectsToSynchronizeRequest request,
        IServerStreamWriter<ObjectsToSynchronizeResponse> responseStream,
        ServerCallContext context) =>
        handler.RunAsync(
            GitOpsCallContext.GetAgent(context),
            request,
            responseStream,
            ct => GitOpsCallContext.StillAuthenticatedAsync(context, ct),
            context.CancellationToken);
}
