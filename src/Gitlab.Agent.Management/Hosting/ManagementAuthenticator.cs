using Gitlab.Agent.Kas.Users;
using Microsoft.AspNetCore.Http;

namespace Gitlab.Agent.Management;

/// <summary>
/// Finds the personal access token of a management request. API routes accept only headers
/// (<c>Authorization: Bearer &lt;token&gt;</c> or GitLab's <c>PRIVATE-TOKEN</c>), never the UI cookie, so a page on
/// another site cannot make the browser call them with the user's session (no CSRF).
/// </summary>
internal sealed class ManagementAuthenticator(IUserStore users)
{
    public const string UiCookieName = "_gitlab_agent_ui";

    /// <summary>Result of authenticating a request.</summary>
    public readonly record struct Outcome(AuthenticatedUser? User, string? Failure);

    public async Task<Outcome> AuthenticateApiAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var token = PersonalAccessTokenHeaders.Read(request);
        if (token is null)
        {
            return new Outcome(null, "Authentication required: send 'Authorization: Bearer <personal access token>'");
        }

        return await users.AuthenticateAsync(token, cancellationToken) is { } user
            ? new Outcome(user, null)
            : new Outcome(null, "Invalid token: the personal access token is unknown, revoked or expired");
    }

    public async Task<AuthenticatedUser?> AuthenticateUiAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var token = request.Cookies[UiCookieName];
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        var user = await users.AuthenticateAsync(token, cancellationToken);
        return user is not null && Services.AgentManagementService.CanRead(user) ? user : null;
    }

    public ValueTask<AuthenticatedUser?> AuthenticateTokenAsync(string token, CancellationToken cancellationToken) =>
        users.AuthenticateAsync(token, cancellationToken);
}
