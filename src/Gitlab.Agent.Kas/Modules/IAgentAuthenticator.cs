namespace Gitlab.Agent.Kas.Modules;

/// <summary>Verifies agent tokens. The registry implements it; a GitLab-backed implementation can replace it.</summary>
public interface IAgentAuthenticator
{
    /// <summary>Returns the agent that owns <paramref name="token"/>, or <see langword="null"/> when the token is unknown or revoked.</summary>
    ValueTask<AgentIdentity?> AuthenticateAsync(string token, CancellationToken cancellationToken = default);
}
