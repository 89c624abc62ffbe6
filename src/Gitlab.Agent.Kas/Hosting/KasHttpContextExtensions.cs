using Gitlab.Agent.Kas.Modules;
using Grpc.Core;

namespace Gitlab.Agent.Kas;

/// <summary>Request-level helpers for modules.</summary>
public static class KasHttpContextExtensions
{
    /// <summary>The KAS listener the request arrived on, or <see langword="null"/> when it did not come through one.</summary>
    public static KasListener? GetKasListener(this Microsoft.AspNetCore.Http.HttpContext context) => KasListenerTag.Get(context);

    /// <summary>
    /// The authenticated agent of a call on the agent listener. Throws <see cref="InvalidOperationException"/> when the
    /// call was not authenticated (for example on another listener).
    /// </summary>
    public static AgentIdentity GetAgentIdentity(this ServerCallContext context) =>
        context.UserState.TryGetValue(AgentCallState.IdentityKey, out var identity) && identity is AgentIdentity agent
            ? agent
            : throw new InvalidOperationException("The call has no authenticated agent: only calls on the KAS agent listener are authenticated.");

    /// <summary>
    /// Checks the call's token again (long-running streams do this on every poll). Returns the agent, or
    /// <see langword="null"/> when the token was revoked or its agent deleted.
    /// </summary>
    public static ValueTask<AgentIdentity?> ReauthenticateAgentAsync(this ServerCallContext context, CancellationToken cancellationToken = default)
    {
        if (!context.UserState.TryGetValue(AgentCallState.TokenKey, out var token) || token is not string secret)
        {
            throw new InvalidOperationException("The call has no agent token: only calls on the KAS agent listener are authenticated.");
        }

        var authenticator = (IAgentAuthenticator)context.UserState[AgentCallState.AuthenticatorKey];
        return authenticator.AuthenticateAsync(secret, cancellationToken);
    }
}
