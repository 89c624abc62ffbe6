namespace Gitlab.Agent.Tunnel.Server.Access;

/// <summary>
/// Issues and verifies CI job tokens (<c>CI_JOB_TOKEN</c>) used as <c>Authorization: Bearer ci:&lt;agentId&gt;:&lt;token&gt;</c>
/// on the Kubernetes API proxy. The default implementation stores hashed tokens in SQLite; a GitLab-backed
/// implementation (calling <c>/api/v4/job/allowed_agents</c>) can replace it.
/// </summary>
public interface ICiJobTokenService
{
    /// <summary>Issues a token for <paramref name="job"/>, valid for <paramref name="lifetime"/> (default 1 h).</summary>
    Task<IssuedToken> IssueAsync(CiJob job, TimeSpan? lifetime = null, CancellationToken cancellationToken = default);

    /// <summary>The job behind <paramref name="token"/>, or <see langword="null"/> when it is unknown, expired or revoked.</summary>
    Task<CiJob?> VerifyAsync(string token, CancellationToken cancellationToken = default);

    /// <summary>Revokes a token (for example when the job finishes). Returns whether it existed.</summary>
    Task<bool> RevokeAsync(string token, CancellationToken cancellationToken = default);
}
