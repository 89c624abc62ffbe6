namespace Gitlab.Agent.Kas.Users;

/// <summary>A personal access token as stored (the secret itself is never stored, only its SHA-256 hash).</summary>
/// <param name="Id">Unique id.</param>
/// <param name="UserId">The owner.</param>
/// <param name="Name">Token name.</param>
/// <param name="Scopes">Scopes (see <see cref="PersonalAccessTokenScopes"/>).</param>
/// <param name="CreatedAt">Creation time.</param>
public sealed record PersonalAccessTokenInfo(long Id, long UserId, string Name, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt)
{
    /// <summary>When the token stops working, or <see langword="null"/> when it does not expire.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>When the token was revoked, or <see langword="null"/>.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>Last successful authentication (written at most once a minute).</summary>
    public DateTimeOffset? LastUsedAt { get; init; }

    /// <summary>Whether the token has <paramref name="scope"/>.</summary>
    public bool HasScope(string scope) => Scopes.Contains(scope, StringComparer.Ordinal);
}

/// <summary>A freshly created personal access token with its secret, which is shown only once.</summary>
/// <param name="Token">The stored token.</param>
/// <param name="Secret">The secret: <c>glpat-</c> followed by 20 URL-safe characters.</param>
public sealed record NewPersonalAccessToken(PersonalAccessTokenInfo Token, string Secret)
{
    /// <inheritdoc />
    public override string ToString() => $"NewPersonalAccessToken {{ Token = {Token}, Secret = *** }}";
}

/// <summary>The user behind a valid personal access token.</summary>
/// <param name="User">The user.</param>
/// <param name="Token">The token that was presented.</param>
public sealed record AuthenticatedUser(UserInfo User, PersonalAccessTokenInfo Token)
{
    /// <summary>Whether the presented token has <paramref name="scope"/>.</summary>
    public bool HasScope(string scope) => Token.HasScope(scope);
}
