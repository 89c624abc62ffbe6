namespace Gitlab.Agent.Kas.Registry;

/// <summary>An agent token as stored (the secret itself is never stored).</summary>
/// <param name="Id">Unique id.</param>
/// <param name="AgentId">The agent the token belongs to.</param>
/// <param name="Name">Token name.</param>
/// <param name="Description">Optional description.</param>
/// <param name="CreatedAt">Creation time.</param>
public sealed record AgentTokenInfo(long Id, long AgentId, string Name, string? Description, DateTimeOffset CreatedAt)
{
    /// <summary>When the token was revoked, or <see langword="null"/> while it is active.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>Last successful authentication (updated at most once a minute).</summary>
    public DateTimeOffset? LastUsedAt { get; init; }

    /// <summary>Whether the token can authenticate.</summary>
    public bool IsActive => RevokedAt is null;
}

/// <summary>A freshly created token together with its secret, which is shown only once.</summary>
/// <param name="Token">The stored token.</param>
/// <param name="Secret">The secret (<c>glagent-</c> followed by 50 URL-safe characters).</param>
public sealed record NewAgentToken(AgentTokenInfo Token, string Secret)
{
    /// <inheritdoc />
    public override string ToString() => $"NewAgentToken {{ Token = {Token}, Secret = *** }}";
}
