using System.Collections.Concurrent;
using System.Data.Common;
using Gitlab.Agent.Kas.Storage;
using Microsoft.Data.Sqlite;
using static Gitlab.Agent.Kas.Storage.SqliteCommands;

namespace Gitlab.Agent.Kas.Users;

/// <summary>Settings of <see cref="SqliteUserStore"/>.</summary>
/// <param name="Path">The SQLite file (normally the registry database, <c>registry.sqlite.path</c>).</param>
internal sealed record SqliteUserStoreOptions(string Path)
{
    /// <summary>How long a successful authentication is reused. Revocations through this instance apply at once.</summary>
    public TimeSpan AuthenticationCacheTtl { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Minimum interval between two <c>last_used_at</c> writes of one token.</summary>
    public TimeSpan LastUsedWriteInterval { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// <see cref="IUserStore"/> on SQLite (WAL), in the same file as the agent registry and safe to share with the
/// <c>kas</c> CLI. Token secrets are never stored, only their SHA-256 hash.
/// </summary>
internal sealed class SqliteUserStore : IUserStore
{
    public const int MaxTokenNameLength = 255;

    private readonly SqliteUserStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly SqliteDatabase _database;
    private readonly ConcurrentDictionary<string, CachedUser> _authCache = new(StringComparer.Ordinal);
    private readonly UserStoreChanges? _changes;

    public SqliteUserStore(SqliteUserStoreOptions options, TimeProvider timeProvider, UserStoreChanges? changes = null)
    {
        _options = options;
        _time = timeProvider;
        _changes = changes;
        _database = SqliteUserSchema.Open(options.Path);
    }

    // ---- users ----

    public async Task<UserInfo> CreateUserAsync(string username, CancellationToken cancellationToken = default)
    {
        if (UserPaths.ValidateUsername(username) is { } error)
        {
            throw new UserStoreException(UserStoreErrorKind.Invalid, error);
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        if (await ScalarAsync(connection, tx, "SELECT username FROM users WHERE username = $u", cancellationToken, ("$u", username)) is string existing)
        {
            throw new UserStoreException(UserStoreErrorKind.Conflict, $"user '{existing}' already exists");
        }

        var now = Now();
        var id = (long)(await ScalarAsync(connection, tx, "INSERT INTO users (username, created_at) VALUES ($u, $t) RETURNING id", cancellationToken,
            ("$u", username), ("$t", now)))!;
        await tx.CommitAsync(cancellationToken);
        return new UserInfo(id, username, FromUnixMs(now));
    }

    public async Task<UserInfo?> FindUserAsync(string username, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, null, "SELECT id, username, created_at FROM users WHERE username = $u", ReadUser, cancellationToken, ("$u", username));
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<UserInfo?> GetUserAsync(long userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, null, "SELECT id, username, created_at FROM users WHERE id = $id", ReadUser, cancellationToken, ("$id", userId));
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<IReadOnlyList<UserInfo>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection, null, "SELECT id, username, created_at FROM users ORDER BY id", ReadUser, cancellationToken);
    }

    // ---- memberships ----

    public async Task<MembershipInfo> SetMembershipAsync(string username, MembershipTarget target, AccessLevel accessLevel, CancellationToken cancellationToken = default)
    {
        if (UserPaths.ValidateTarget(target) is { } pathError)
        {
            throw new UserStoreException(UserStoreErrorKind.Invalid, pathError);
        }

        if (accessLevel == AccessLevel.None || !Enum.IsDefined(accessLevel))
        {
            throw new UserStoreException(UserStoreErrorKind.Invalid,
                $"role '{accessLevel}' is invalid: use guest, reporter, developer, maintainer or owner");
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var user = await RequireUserAsync(connection, tx, username, cancellationToken);
        var now = Now();
        await ExecuteAsync(connection, tx,
            """
            INSERT INTO memberships (user_id, target_kind, path, access_level, created_at) VALUES ($u, $k, $p, $l, $t)
            ON CONFLICT (user_id, target_kind, path) DO UPDATE SET access_level = excluded.access_level, created_at = excluded.created_at
            """,
            cancellationToken, ("$u", user.Id), ("$k", (int)target.Kind), ("$p", target.Path), ("$l", (int)accessLevel), ("$t", now));
        await tx.CommitAsync(cancellationToken);
        _changes?.NotifyChanged();
        return new MembershipInfo(user.Id, target, accessLevel, FromUnixMs(now));
    }

    public async Task RemoveMembershipAsync(string username, MembershipTarget target, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var user = await RequireUserAsync(connection, tx, username, cancellationToken);
        await ExecuteAsync(connection, tx, "DELETE FROM memberships WHERE user_id = $u AND target_kind = $k AND path = $p", cancellationToken,
            ("$u", user.Id), ("$k", (int)target.Kind), ("$p", target.Path));
        await tx.CommitAsync(cancellationToken);
        _changes?.NotifyChanged();
    }

    public async Task<IReadOnlyList<MembershipInfo>> ListMembershipsAsync(long userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection, null,
            "SELECT user_id, target_kind, path, access_level, created_at FROM memberships WHERE user_id = $u ORDER BY path, target_kind",
            r => new MembershipInfo(r.GetInt64(0), new MembershipTarget((MembershipTargetKind)r.GetInt32(1), r.GetString(2)), (AccessLevel)r.GetInt32(3), FromUnixMs(r.GetInt64(4))),
            cancellationToken, ("$u", userId));
    }

    public async Task<AccessLevel> GetAccessLevelAsync(long userId, string projectPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(projectPath);
        var memberships = await ListMembershipsAsync(userId, cancellationToken);
        var level = AccessLevel.None;
        foreach (var membership in memberships)
        {
            if (membership.Target.AppliesTo(projectPath) && membership.AccessLevel > level)
            {
                level = membership.AccessLevel;
            }
        }

        return level;
    }

    // ---- personal access tokens ----

    public async Task<NewPersonalAccessToken> CreatePersonalAccessTokenAsync(
        string username, string name, IReadOnlyCollection<string> scopes, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new UserStoreException(UserStoreErrorKind.Invalid, "personal access token name must not be empty");
        }

        if (name.Length > MaxTokenNameLength)
        {
            throw new UserStoreException(UserStoreErrorKind.Invalid, $"personal access token name is longer than {MaxTokenNameLength} characters");
        }

        if (scopes.Count == 0)
        {
            throw new UserStoreException(UserStoreErrorKind.Invalid,
                $"personal access token needs at least one scope ({string.Join(", ", PersonalAccessTokenScopes.All)})");
        }

        if (scopes.FirstOrDefault(s => !PersonalAccessTokenScopes.IsKnown(s)) is { } unknown)
        {
            throw new UserStoreException(UserStoreErrorKind.Invalid,
                $"scope '{unknown}' is unknown; known scopes: {string.Join(", ", PersonalAccessTokenScopes.All)}");
        }

        if (expiresAt is { } expiry && expiry <= _time.GetUtcNow())
        {
            throw new UserStoreException(UserStoreErrorKind.Invalid, $"expiry {expiry:O} is in the past");
        }

        var scopeList = scopes.Distinct(StringComparer.Ordinal).ToArray();
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var user = await RequireUserAsync(connection, tx, username, cancellationToken);
        var secret = PersonalAccessTokens.NewSecret();
        var now = Now();
        var id = (long)(await ScalarAsync(connection, tx,
            "INSERT INTO personal_access_tokens (user_id, name, scopes, token_hash, created_at, expires_at) VALUES ($u, $n, $s, $h, $t, $e) RETURNING id",
            cancellationToken, ("$u", user.Id), ("$n", name), ("$s", string.Join(',', scopeList)), ("$h", PersonalAccessTokens.Hash(secret)), ("$t", now),
            ("$e", expiresAt?.ToUnixTimeMilliseconds())))!;
        await tx.CommitAsync(cancellationToken);
        var info = new PersonalAccessTokenInfo(id, user.Id, name, scopeList, FromUnixMs(now)) { ExpiresAt = expiresAt };
        return new NewPersonalAccessToken(info, secret);
    }

    public async Task<IReadOnlyList<PersonalAccessTokenInfo>> ListPersonalAccessTokensAsync(long userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection, null, TokenSelect + " WHERE user_id = $u ORDER BY id", ReadToken, cancellationToken, ("$u", userId));
    }

    public async Task RevokePersonalAccessTokenAsync(long tokenId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var changed = await ExecuteAsync(connection, null, "UPDATE personal_access_tokens SET revoked_at = COALESCE(revoked_at, $t) WHERE id = $id", cancellationToken,
            ("$t", Now()), ("$id", tokenId));
        _authCache.Clear();
        _changes?.NotifyChanged();
        if (changed == 0)
        {
            throw new UserStoreException(UserStoreErrorKind.NotFound, $"personal access token {tokenId} does not exist");
        }
    }

    public async ValueTask<AuthenticatedUser?> AuthenticateAsync(string token, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        var hash = PersonalAccessTokens.Hash(token);
        var now = _time.GetUtcNow();
        if (_authCache.TryGetValue(hash, out var cached) && cached.CacheUntil > now && (cached.User.Token.ExpiresAt is null || cached.User.Token.ExpiresAt > now))
        {
            return cached.User;
        }

        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, null,
            """
            SELECT t.id, t.user_id, t.name, t.scopes, t.created_at, t.expires_at, t.revoked_at, t.last_used_at, u.id, u.username, u.created_at
            FROM personal_access_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = $h AND t.revoked_at IS NULL
            """,
            r => new AuthenticatedUser(new UserInfo(r.GetInt64(8), r.GetString(9), FromUnixMs(r.GetInt64(10))), ReadToken(r)),
            cancellationToken, ("$h", hash));
        if (rows.Count == 0 || rows[0].Token.ExpiresAt is { } expiry && expiry <= now)
        {
            _authCache.TryRemove(hash, out _);
            return null;
        }

        var user = rows[0];
        var nowMs = now.ToUnixTimeMilliseconds();
        if (user.Token.LastUsedAt is not { } lastUsed || now - lastUsed >= _options.LastUsedWriteInterval)
        {
            await ExecuteAsync(connection, null, "UPDATE personal_access_tokens SET last_used_at = $t WHERE id = $id", cancellationToken, ("$t", nowMs), ("$id", user.Token.Id));
            user = user with { Token = user.Token with { LastUsedAt = FromUnixMs(nowMs) } };
        }

        _authCache[hash] = new CachedUser(user, now + _options.AuthenticationCacheTtl);
        return user;
    }

    // ---- helpers ----

    private const string TokenSelect = "SELECT id, user_id, name, scopes, created_at, expires_at, revoked_at, last_used_at FROM personal_access_tokens";

    private static UserInfo ReadUser(SqliteDataReader r) => new(r.GetInt64(0), r.GetString(1), FromUnixMs(r.GetInt64(2)));

    private static PersonalAccessTokenInfo ReadToken(SqliteDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3).Split(',', StringSplitOptions.RemoveEmptyEntries), FromUnixMs(r.GetInt64(4)))
        {
            ExpiresAt = NullableTime(r, 5),
            RevokedAt = NullableTime(r, 6),
            LastUsedAt = NullableTime(r, 7),
        };

    private static async Task<UserInfo> RequireUserAsync(SqliteConnection connection, SqliteTransaction tx, string username, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(connection, tx, "SELECT id, username, created_at FROM users WHERE username = $u", ReadUser, cancellationToken, ("$u", username));
        return rows.Count == 0 ? throw new UserStoreException(UserStoreErrorKind.NotFound, $"user '{username}' does not exist") : rows[0];
    }

    private Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => _database.OpenAsync(cancellationToken);

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private sealed record CachedUser(AuthenticatedUser User, DateTimeOffset CacheUntil);
}
