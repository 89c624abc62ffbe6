using Gitlab.Agent.Kas.Users;

namespace Quickstart;

/// <summary>
/// The administrator step (what <c>kas users create</c>, <c>kas users add-member</c> and <c>kas tokens create-personal</c>
/// do): a user who owns the <c>quickstart</c> group and a personal access token, kept in the state directory.
/// </summary>
public static class UserBootstrap
{
    public static async Task<string> EnsureAsync(IUserStore users, QuickstartOptions options, CancellationToken cancellationToken)
    {
        var tokenFile = Path.Combine(options.StateDirectory, "user-token");
        if (File.Exists(tokenFile))
        {
            var existing = (await File.ReadAllTextAsync(tokenFile, cancellationToken)).Trim();
            if (await users.AuthenticateAsync(existing, cancellationToken) is { } user && user.HasScope(PersonalAccessTokenScopes.Api))
            {
                return existing;
            }
        }

        if (await users.FindUserAsync(options.Username, cancellationToken) is null)
        {
            await users.CreateUserAsync(options.Username, cancellationToken);
        }

        var group = options.ProjectPath[..options.ProjectPath.LastIndexOf('/')];
        await users.SetMembershipAsync(options.Username, MembershipTarget.Group(group), AccessLevel.Owner, cancellationToken);
        var token = await users.CreatePersonalAccessTokenAsync(options.Username, "quickstart",
            [PersonalAccessTokenScopes.Api, PersonalAccessTokenScopes.K8sProxy], null, cancellationToken);
        await SecretFile.WriteAsync(tokenFile, token.Secret, cancellationToken);
        return token.Secret;
    }
}
