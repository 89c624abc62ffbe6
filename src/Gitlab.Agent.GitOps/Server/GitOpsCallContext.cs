using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Modules;
using Grpc.Core;

namespace Gitlab.Agent.GitOps.Server;

internal static class GitOpsCallContext
{
    /// <summary>The authenticated agent of a call on the agent listener.</summary>
    public static AgentIdentity GetAgent(ServerCallContext context)
    {
        try
        {
            return context.GetAgentIdentity();
        }
        catch (InvalidOperationException e)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"GitOps: {e.Message}"));
        }
    }

    /// <summary>Whether the call's token is still valid (checked on every poll, like GitLab's agent_info).</summary>
    public static async ValueTask<bool> StillAuthenticatedAsync(ServerCallContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await context.ReauthenticateAgentAsync(cancellationToken).ConfigureAwait(false) is not null;
        }
        catch (InvalidOperationException)
        {
            return true; // not an agent-listener call (tests calling the service directly): nothing to re-check
        }
    }
}
