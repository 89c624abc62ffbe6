namespace Gitlab.Agent.Tunnel.Server.Access;

/// <summary>
/// Verifies personal access tokens used as <c>Authorization: Bearer pat:&lt;agentId&gt;:&lt;token&gt;</c>
/// (<c>user_access</c>) and for user kubeconfig downloads. The default implementation (registered by
/// <c>AddTunnel()</c>) accepts the tokens of KAS's user store (<c>Gitlab.Agent.Kas.Users.IUserStore</c>, the same
/// <c>glpat-…</c> tokens as the management API and UI) that carry the <c>k8s_proxy</c> scope; tokens are created there
/// (<c>kas tokens create-personal</c>). A GitLab-backed implementation (calling
/// <c>/api/v4/internal/kubernetes/authorize_proxy_user</c>) can replace it.
/// </summary>
public interface IPersonalAccessTokenService
{
    /// <summary>The user behind <paramref name="token"/>, or <see langword="null"/> when it is unknown, expired, revoked or lacks the <c>k8s_proxy</c> scope.</summary>
    Task<ProxyUser?> VerifyAsync(string token, CancellationToken cancellationToken = default);
}
