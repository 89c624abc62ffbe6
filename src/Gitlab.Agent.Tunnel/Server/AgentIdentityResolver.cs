using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Modules;
using Grpc.Core;

namespace Gitlab.Agent.Tunnel.Server;

/// <summary>Finds the agent behind a call on the agent listener from its <c>authorization: Bearer &lt;token&gt;</c> metadata.</summary>
internal sealed class AgentIdentityResolver(IAgentAuthenticator authenticator)
{
    public async ValueTask<AgentIdentity> ResolveAsync(ServerCallContext context)
    {
        try
        {
            // Authenticated by the KAS runtime's agent listener interceptor.
            return context.GetAgentIdentity();
        }
        catch (InvalidOperationException)
        {
            // Not behind the KAS runtime (tests, custom hosts): check the token here.
        }

        var header = context.RequestHeaders.GetValue("authorization");
        const string prefix = "Bearer ";
        if (header is null || !header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || header.Length == prefix.Length)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "missing 'authorization: Bearer <agent token>' metadata"));
        }

        var identity = await authenticator.AuthenticateAsync(header[prefix.Length..], context.CancellationToken).ConfigureAwait(false);
        return identity ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "unknown or revoked agent token"));
    }
}
