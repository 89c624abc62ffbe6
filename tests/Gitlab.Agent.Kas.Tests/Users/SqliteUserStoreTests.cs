using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.TestUtilities;

namespace Gitlab.Agent.Kas.Tests.Users;

public sealed class SqliteUserStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new("users");
    private readonly SqliteUserStore _store;

    public SqliteUserStoreTests()
    {
        _store = new SqliteUserStore(new SqliteUserStoreOptions(_dir.Combine("data", "kas.db")), TimeProvider.System);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    [Fact]
    public async Task CreateUser_stores_the_user_and_rejects_duplicates_ignoring_case()
    {
        var user = await _store.CreateUserAsync("Alice");

        Assert.Equal("Alice", user.Username);
        Assert.Equal(user, await _store.FindUserAsync("alice"));
        Assert.Equal(user, await _store.GetUserAsync(user.Id));
        var ex = await Assert.ThrowsAsync<UserStoreException>(() => _store.CreateUserAsync("ALICE"));
        Assert.Equal(UserStoreErrorKind.Conflict, ex.Kind);
        Assert.Contains("'Alice' already exists", ex.Message);
        Assert.Single(await _store.ListUsersAsync());
    }

    [Theory]
    [InlineData("")]
    [InlineData("-bob")]
    [InlineData("bob.")]
    [InlineData("bob smith")]
    [InlineData("bob/x")]
    [InlineData("bob.git")]
    public async Task CreateUser_rejects_invalid_usernames(string username)
    {
        var ex = await Assert.ThrowsAsync<UserStoreException>(() => _store.CreateUserAsync(username));
        Assert.Equal(UserStoreErrorKind.Invalid, ex.Kind);
        Assert.Contains("username", ex.Message);
        Assert.Empty(await _store.ListUsersAsync());
    }

    [Fact]
    public async Task Group_membership_is_inherited_by_sub_groups_and_projects_and_the_highest_role_wins()
    {
        var user = await _store.CreateUserAsync("dev");
        await _store.SetMembershipAsync("dev", MembershipTarget.Group("group"), AccessLevel.Developer);
        await _store.SetMembershipAsync("dev", MembershipTarget.Project("group/sub/app"), AccessLevel.Maintainer);
        await _store.SetMembershipAsync("dev", MembershipTarget.Group("other/sub"), AccessLevel.Owner);

        Assert.Equal(AccessLevel.Maintainer, await _store.GetAccessLevelAsync(user.Id, "group/sub/app"));
        Assert.Equal(AccessLevel.Developer, await _store.GetAccessLevelAsync(user.Id, "group/sub/other"));
        Assert.Equal(AccessLevel.Developer, await _store.GetAccessLevelAsync(user.Id, "group/project"));
        Assert.Equal(AccessLevel.None, await _store.GetAccessLevelAsync(user.Id, "groupx/project"));
        Assert.Equal(AccessLevel.Owner, await _store.GetAccessLevelAsync(user.Id, "other/sub/deep/project"));
        Assert.Equal(AccessLevel.None, await _store.GetAccessLevelAsync(user.Id, "other/project"));
        Assert.Equal(AccessLevel.None, await _store.GetAccessLevelAsync(user.Id, "other/subx/project"));

        // Changing a role replaces the membership; removing it drops the access.
        await _store.SetMembershipAsync("dev", MembershipTarget.Group("group"), AccessLevel.Reporter);
        Assert.Equal(AccessLevel.Reporter, await _store.GetAccessLevelAsync(user.Id, "group/project"));
        await _store.RemoveMembershipAsync("dev", MembershipTarget.Group("group"));
        Assert.Equal(AccessLevel.None, await _store.GetAccessLevelAsync(user.Id, "group/project"));
        Assert.Equal(2, (await _store.ListMembershipsAsync(user.Id)).Count);
    }

    [Fact]
    public async Task SetMembership_rejects_unknown_users_bad_paths_and_no_role()
    {
        await _store.CreateUserAsync("dev");

        var unknown = await Assert.ThrowsAsync<UserStoreException>(() => _store.SetMembershipAsync("nobody", MembershipTarget.Group("g"), AccessLevel.Owner));
        Assert.Equal(UserStoreErrorKind.NotFound, unknown.Kind);
        Assert.Contains("'nobody' does not exist", unknown.Message);

        var badProject = await Assert.ThrowsAsync<UserStoreException>(() => _store.SetMembershipAsync("dev", MembershipTarget.Project("single"), AccessLevel.Owner));
        Assert.Contains("project path 'single'", badProject.Message);

        var badGroup = await Assert.ThrowsAsync<UserStoreException>(() => _store.SetMembershipAsync("dev", MembershipTarget.Group("g//x"), AccessLevel.Owner));
        Assert.Contains("group path 'g//x' has an empty segment", badGroup.Message);

        var noRole = await Assert.ThrowsAsync<UserStoreException>(() => _store.SetMembershipAsync("dev", MembershipTarget.Group("g"), AccessLevel.None));
        Assert.Contains("role", noRole.Message);
    }

    [Fact]
    public async Task Personal_access_token_authenticates_until_revoked_and_records_last_use()
    {
        var user = await _store.CreateUserAsync("alice");
        var created = await _store.CreatePersonalAccessTokenAsync("alice", "laptop", ["api", "k8s_proxy"]);

        Assert.StartsWith("glpat-", created.Secret);
        Assert.Equal(26, created.Secret.Length);
        Assert.DoesNotContain(created.Secret, created.ToString());
        Assert.Null(created.Token.LastUsedAt);

        var auth = await _store.AuthenticateAsync(created.Secret);
        Assert.NotNull(auth);
        Assert.Equal(user, auth.User);
        Assert.True(auth.HasScope(PersonalAccessTokenScopes.Api));
        Assert.True(auth.HasScope(PersonalAccessTokenScopes.K8sProxy));
        Assert.False(auth.HasScope(PersonalAccessTokenScopes.ReadApi));
        Assert.NotNull((await _store.ListPersonalAccessTokensAsync(user.Id)).Single().LastUsedAt);

        Assert.Null(await _store.AuthenticateAsync(created.Secret + "x"));
        Assert.Null(await _store.AuthenticateAsync(""));

        await _store.RevokePersonalAccessTokenAsync(created.Token.Id);
        Assert.Null(await _store.AuthenticateAsync(created.Secret));
        Assert.NotNull((await _store.ListPersonalAccessTokensAsync(user.Id)).Single().RevokedAt);
    }

    [Fact]
    public async Task Secrets_are_not_stored_in_the_database()
    {
        await _store.CreateUserAsync("alice");
        var created = await _store.CreatePersonalAccessTokenAsync("alice", "t", ["api"]);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var bytes = await File.ReadAllBytesAsync(_dir.Combine("data", "kas.db"));
        var walPath = _dir.Combine("data", "kas.db-wal");
        var wal = File.Exists(walPath) ? await File.ReadAllBytesAsync(walPath) : [];
        var secret = System.Text.Encoding.UTF8.GetBytes(created.Secret);
        Assert.Equal(-1, bytes.AsSpan().IndexOf(secret));
        Assert.Equal(-1, wal.AsSpan().IndexOf(secret));
    }

    [Fact]
    public async Task Expired_tokens_do_not_authenticate()
    {
        var time = new ManualTime(DateTimeOffset.Parse("2030-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var store = new SqliteUserStore(new SqliteUserStoreOptions(_dir.Combine("expiry.db")), time);
        await store.CreateUserAsync("alice");
        var created = await store.CreatePersonalAccessTokenAsync("alice", "short", ["api"], time.GetUtcNow().AddHours(1));

        Assert.NotNull(await store.AuthenticateAsync(created.Secret));
        time.Now = time.Now.AddHours(2);
        Assert.Null(await store.AuthenticateAsync(created.Secret));

        var past = await Assert.ThrowsAsync<UserStoreException>(() => store.CreatePersonalAccessTokenAsync("alice", "x", ["api"], time.GetUtcNow().AddMinutes(-1)));
        Assert.Contains("in the past", past.Message);
    }

    [Fact]
    public async Task CreatePersonalAccessToken_rejects_unknown_scopes_users_and_empty_names()
    {
        await _store.CreateUserAsync("alice");

        var scope = await Assert.ThrowsAsync<UserStoreException>(() => _store.CreatePersonalAccessTokenAsync("alice", "t", ["api", "sudo"]));
        Assert.Contains("scope 'sudo' is unknown", scope.Message);
        var none = await Assert.ThrowsAsync<UserStoreException>(() => _store.CreatePersonalAccessTokenAsync("alice", "t", []));
        Assert.Contains("at least one scope", none.Message);
        var user = await Assert.ThrowsAsync<UserStoreException>(() => _store.CreatePersonalAccessTokenAsync("bob", "t", ["api"]));
        Assert.Equal(UserStoreErrorKind.NotFound, user.Kind);
        var name = await Assert.ThrowsAsync<UserStoreException>(() => _store.CreatePersonalAccessTokenAsync("alice", " ", ["api"]));
        Assert.Contains("name must not be empty", name.Message);
        var revoke = await Assert.ThrowsAsync<UserStoreException>(() => _store.RevokePersonalAccessTokenAsync(999));
        Assert.Equal(UserStoreErrorKind.NotFound, revoke.Kind);
    }

    [Fact]
    public async Task User_tables_share_the_registry_database_with_their_own_migrations()
    {
        var path = _dir.Combine("shared.db");
        var registry = new SqliteAgentRegistry(new SqliteAgentRegistryOptions(path), TimeProvider.System);
        var users = new SqliteUserStore(new SqliteUserStoreOptions(path), TimeProvider.System);
        await registry.CreateAgentAsync("group/project", "agent");
        await users.CreateUserAsync("alice");

        // Reopening both in the other order applies no migration twice.
        var users2 = new SqliteUserStore(new SqliteUserStoreOptions(path), TimeProvider.System);
        var registry2 = new SqliteAgentRegistry(new SqliteAgentRegistryOptions(path), TimeProvider.System);
        Assert.Single(await users2.ListUsersAsync());
        Assert.Single(await registry2.ListAgentsAsync());
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
