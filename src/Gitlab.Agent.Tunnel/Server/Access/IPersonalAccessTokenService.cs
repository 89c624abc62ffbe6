namespace Gitlab.Agent.Tunnel.Server.Access;

/// <summary>
/// Issues and verifies personal access tokens used as <c>Authorization: Bearer pat:&lt;agentId&gt;:&lt;token&gt;</c>
/// (<c>user_access</c>). The default implementation stores hashed tokens in SQLite; a GitLab-backed implementation
/// (calling <c>/api/v4/internal/kubernetes/authorize_proxy_user</c>) can replace it.
/// </summary>
public interface IPersonalAccessTokenService
{
    /// <summary>Issues a token named <paramref name="name"/> for <paramref name="user"/>, valid for <paramref name="lifetime"/> (default 30 days).</summary>
    Task<IssuedToken> IssueAsync(ProxyUser user, string name, TimeSpan? lifetime = null, CancellationToken cancellationToken = default);

    /// <summary>The user behind <paramref name="token"/>, or <see langword="null"/> when it is unknown, expired or revoked.</summary>
    Task<ProxyUser?> VerifyAsync(string token, CancellationToken cancellationToken = default);

    /// <summary>Revokes a token. Returns whether it existed.</summary>
    Task<bool> RevokeAsync(string token, CancellationToken cancellationToken = default);
}
