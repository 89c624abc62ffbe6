using Microsoft.AspNetCore.Http;

namespace Gitlab.Agent.Kas.Users;

/// <summary>
/// Reads a personal access token from the headers GitLab's API accepts: <c>Authorization: Bearer &lt;token&gt;</c> or
/// <c>PRIVATE-TOKEN: &lt;token&gt;</c>. Feature packages that serve API routes on the KAS API listener use it so every
/// route accepts a token the same way.
/// </summary>
public static class PersonalAccessTokenHeaders
{
    /// <summary>GitLab's header for a personal access token.</summary>
    public const string PrivateToken = "PRIVATE-TOKEN";

    private const string BearerPrefix = "Bearer ";

    /// <summary>
    /// The trimmed token of <paramref name="request"/>: from <c>Authorization</c> when it uses the <c>Bearer</c> scheme
    /// (case-insensitive; then <c>PRIVATE-TOKEN</c> is not read), otherwise from <c>PRIVATE-TOKEN</c>.
    /// <see langword="null"/> when the header read carries no token. Cookies and the query string are never read.
    /// </summary>
    public static string? Read(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorization = request.Headers.Authorization.ToString();
        var token = authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            ? authorization[BearerPrefix.Length..]
            : request.Headers[PrivateToken].ToString();
        return token.Trim() is { Length: > 0 } trimmed ? trimmed : null;
    }
}
