using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.Kas.Users;

namespace Gitlab.Agent.Tunnel.Server.Access;

/// <summary>
/// Default <see cref="IPersonalAccessTokenService"/>: the personal access tokens of KAS's <see cref="IUserStore"/> (the
/// same <c>glpat-…</c> tokens as the management API and UI), accepted when they carry the
/// <see cref="PersonalAccessTokenScopes.K8sProxy"/> scope. The user's project and group memberships become the
/// <see cref="ProxyUser.Memberships"/> that <c>user_access</c> checks; project ids come from
/// <see cref="IProjectInfoProvider"/> (the KAS registry). The user store has no group ids, so group memberships carry
/// none and add no <c>gitlab:group_role:…</c> impersonation groups.
/// </summary>
internal sealed class UserStorePersonalAccessTokens(IUserStore users, IProjectInfoProvider projects) : IPersonalAccessTokenService
{
    public async Task<ProxyUser?> VerifyAsync(string token, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(token)
            || await users.AuthenticateAsync(token, cancellationToken).ConfigureAwait(false) is not { } authenticated
            || !authenticated.HasScope(PersonalAccessTokenScopes.K8sProxy))
        {
            return null;
        }

        var memberships = new List<Membership>();
        foreach (var membership in await users.ListMembershipsAsync(authenticated.User.Id, cancellationToken).ConfigureAwait(false))
        {
            if (membership.AccessLevel < AccessLevel.Guest)
            {
                continue;
            }

            var target = membership.Target;
            var isProject = target.Kind == MembershipTargetKind.Project;
            var id = isProject ? (await projects.GetProjectAsync(target.Path, cancellationToken).ConfigureAwait(false))?.Id : null;
            memberships.Add(new Membership(isProject ? MembershipKind.Project : MembershipKind.Group, id, target.Path, (GitlabRole)(int)membership.AccessLevel));
        }

        return new ProxyUser(authenticated.User.Id, authenticated.User.Username, memberships);
    }
}
