namespace Gitlab.Agent.Kas.Users;

/// <summary>
/// Users, their project and group memberships, and their personal access tokens (PATs). KAS's management API and UI
/// authenticate <c>Authorization: Bearer &lt;PAT&gt;</c> with <see cref="AuthenticateAsync"/> and authorize with
/// <see cref="GetAccessLevelAsync"/>; the Kubernetes API proxy does the same for <c>Bearer pat:&lt;agentId&gt;:&lt;PAT&gt;</c>
/// (scope <see cref="PersonalAccessTokenScopes.K8sProxy"/>). The default implementation keeps its tables in the KAS
/// registry database (<c>registry.sqlite.path</c>). Bad input throws <see cref="UserStoreException"/>.
/// </summary>
public interface IUserStore
{
    /// <summary>Creates user <paramref name="username"/> (letters, digits, <c>_</c>, <c>-</c>, <c>.</c>; unique ignoring case).</summary>
    Task<UserInfo> CreateUserAsync(string username, CancellationToken cancellationToken = default);

    /// <summary>Returns the user, or <see langword="null"/>.</summary>
    Task<UserInfo?> FindUserAsync(string username, CancellationToken cancellationToken = default);

    /// <summary>Returns the user, or <see langword="null"/>.</summary>
    Task<UserInfo?> GetUserAsync(long userId, CancellationToken cancellationToken = default);

    /// <summary>Lists every user, ordered by id.</summary>
    Task<IReadOnlyList<UserInfo>> ListUsersAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives <paramref name="username"/> role <paramref name="accessLevel"/> on a project or group, replacing an
    /// existing membership on the same target. A group membership is inherited by every project and subgroup below it.
    /// </summary>
    Task<MembershipInfo> SetMembershipAsync(string username, MembershipTarget target, AccessLevel accessLevel, CancellationToken cancellationToken = default);

    /// <summary>Removes the user's membership on <paramref name="target"/> (no-op when there is none).</summary>
    Task RemoveMembershipAsync(string username, MembershipTarget target, CancellationToken cancellationToken = default);

    /// <summary>Lists the user's direct memberships, ordered by path.</summary>
    Task<IReadOnlyList<MembershipInfo>> ListMembershipsAsync(long userId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The user's effective role on project <paramref name="projectPath"/>: the highest of the direct project membership
    /// and the memberships of its ancestor groups, or <see cref="AccessLevel.None"/>.
    /// </summary>
    Task<AccessLevel> GetAccessLevelAsync(long userId, string projectPath, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a personal access token for <paramref name="username"/>. The returned <see cref="NewPersonalAccessToken.Secret"/>
    /// is shown once. <paramref name="scopes"/> must be known (<see cref="PersonalAccessTokenScopes.All"/>).
    /// </summary>
    Task<NewPersonalAccessToken> CreatePersonalAccessTokenAsync(
        string username, string name, IReadOnlyCollection<string> scopes, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default);

    /// <summary>Lists the user's tokens (active, expired and revoked), ordered by id.</summary>
    Task<IReadOnlyList<PersonalAccessTokenInfo>> ListPersonalAccessTokensAsync(long userId, CancellationToken cancellationToken = default);

    /// <summary>Revokes a token; it stops authenticating at once.</summary>
    Task RevokePersonalAccessTokenAsync(long tokenId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns the user and token behind <paramref name="token"/> (a <c>glpat-…</c> secret), or <see langword="null"/>
    /// when it is unknown, revoked or expired. Updates the token's last-used time. Callers check scopes with
    /// <see cref="AuthenticatedUser.HasScope"/>.
    /// </summary>
    ValueTask<AuthenticatedUser?> AuthenticateAsync(string token, CancellationToken cancellationToken = default);
}
