using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.Tunnel.Server.Access;

namespace Quickstart;

/// <summary>
/// Lets the Kubernetes API proxy accept the same personal access tokens as the management API and UI
/// (<see cref="IUserStore"/>): <c>Bearer pat:&lt;agentId&gt;:&lt;glpat-…&gt;</c> with the <c>k8s_proxy</c> scope, and the
/// user's project and group memberships for <c>user_access</c>. Tokens are created with <c>kas tokens create-personal</c>.
/// </summary>
public sealed class UserStoreProxyTokens(IUserStore users, IAgentRegistry registry) : IPersonalAccessTokenService
{
    public Task<IssuedToken> IssueAsync(ProxyUser user, string name, TimeSpan? lifetime = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("create personal access tokens with IUserStore (kas tokens create-personal)");

    public async Task<ProxyUser?> VerifyAsync(string token, CancellationToken cancellationToken = default)
    {
        if (await users.AuthenticateAsync(token, cancellationToken) is not { } user || !user.HasScope(PersonalAccessTokenScopes.K8sProxy))
        {
            return null;
        }

        var projects = (await registry.ListProjectsAsync(cancellationToken)).ToDictionary(p => p.Path, p => p.Id, StringComparer.Ordinal);
        var memberships = (await users.ListMembershipsAsync(user.User.Id, cancellationToken))
            .Select(m => new Membership(
                m.Target.Kind == MembershipTargetKind.Project ? MembershipKind.Project : MembershipKind.Group,
                projects.GetValueOrDefault(m.Target.Path),
                m.Target.Path,
                (GitlabRole)(int)m.AccessLevel))
            .ToList();
        return new ProxyUser(user.User.Id, user.User.Username, memberships);
    }

    public async Task<bool> RevokeAsync(string token, CancellationToken cancellationToken = default)
    {
        if (await users.AuthenticateAsync(token, cancellationToken) is not { } user)
        {
            return false;
        }

        await users.RevokePersonalAccessTokenAsync(user.Token.Id, cancellationToken);
        return true;
    }
}
