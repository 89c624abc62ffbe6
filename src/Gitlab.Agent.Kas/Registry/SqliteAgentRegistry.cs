using System.Collections.Concurrent;
using System.Data.Common;
using Gitlab.Agent.Config;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.Kas.Storage;
using Microsoft.Data.Sqlite;
using static Gitlab.Agent.Kas.Storage.SqliteCommands;

namespace Gitlab.Agent.Kas.Registry;

/// <summary>Settings of <see cref="SqliteAgentRegistry"/>.</summary>
internal sealed record SqliteAgentRegistryOptions(string Path)
{
    /// <summary>A connection not seen for this long no longer counts as connected.</summary>
    public TimeSpan ConnectionTtl { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a successful authentication is reused. Revocations through this instance apply at once.</summary>
    public TimeSpan AuthenticationCacheTtl { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Minimum interval between two <c>last_used_at</c> writes of one token.</summary>
    public TimeSpan LastUsedWriteInterval { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// The embedded registry: one SQLite file in WAL mode, safe to share between a running KAS and the <c>kas</c> CLI.
/// Token secrets are never stored, only their SHA-256 hash.
/// </summary>
internal sealed class SqliteAgentRegistry : IAgentRegistry, IAgentAuthenticator, IProjectInfoProvider
{
    public const int MaxActiveTokensPerAgent = 2;
    public const int MaxTokenNameLength = 255;
    public const int MaxTokenDescriptionLength = 1024;

    private readonly SqliteAgentRegistryOptions _options;
    private readonly TimeProvider _time;
    private readonly SqliteDatabase _database;
    private readonly ConcurrentDictionary<string, CachedIdentity> _authCache = new(StringComparer.Ordinal);

    public SqliteAgentRegistry(SqliteAgentRegistryOptions options, TimeProvider timeProvider)
    {
        _options = options;
        _time = timeProvider;
        _database = SqliteRegistrySchema.Open(options.Path);
    }

    public string DatabasePath => _database.Path;

    // ---- projects ----

    public async Task<ProjectInfo> EnsureProjectAsync(string projectPath, CancellationToken cancellationToken = default)
    {
        ValidateProjectPath(projectPath);
        await using var connection = await OpenAsync(cancellationToken);
        return await EnsureProjectAsync(connection, null, projectPath, cancellationToken);
    }

    public async Task<ProjectInfo> SetProjectVisibilityAsync(string projectPath, bool isPublic, CancellationToken cancellationToken = default)
    {
        ValidateProjectPath(projectPath);
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var project = await EnsureProjectAsync(connection, tx, projectPath, cancellationToken);
        await ExecuteAsync(connection, tx, "UPDATE projects SET is_public = $p WHERE id = $id", cancellationToken, ("$p", isPublic ? 1 : 0), ("$id", project.Id));
        await tx.CommitAsync(cancellationToken);
        return project with { IsPublic = isPublic };
    }

    public async Task<IReadOnlyList<ProjectInfo>> ListProjectsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection, "SELECT id, path, is_public FROM projects ORDER BY id", ReadProject, cancellationToken);
    }

    public async ValueTask<ProjectInfo?> GetProjectAsync(string projectPath, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, "SELECT id, path, is_public FROM projects WHERE path = $path", ReadProject, cancellationToken, ("$path", projectPath));
        return rows.Count == 0 ? null : rows[0];
    }

    // ---- agents ----

    public async Task<AgentInfo> CreateAgentAsync(string projectPath, string name, CancellationToken cancellationToken = default)
    {
        ValidateProjectPath(projectPath);
        if (!AgentName.IsValid(name))
        {
            try
            {
                AgentName.Validate(name);
            }
            catch (ArgumentException ex)
            {
                throw new AgentRegistryException(AgentRegistryErrorKind.Invalid, ex.Message.Split(" (Parameter")[0]);
            }
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var project = await EnsureProjectAsync(connection, tx, projectPath, cancellationToken);
        var existing = await ScalarAsync(connection, tx, "SELECT id FROM agents WHERE project_id = $p AND name = $n", cancellationToken, ("$p", project.Id), ("$n", name));
        if (existing is not null)
        {
            throw new AgentRegistryException(AgentRegistryErrorKind.Conflict, $"agent '{name}' already exists in project '{projectPath}' (id {existing})");
        }

        var now = Now();
        var id = (long)(await ScalarAsync(connection, tx, "INSERT INTO agents (project_id, name, created_at) VALUES ($p, $n, $t) RETURNING id", cancellationToken,
            ("$p", project.Id), ("$n", name), ("$t", now)))!;
        await tx.CommitAsync(cancellationToken);
        return new AgentInfo(id, name, project.Id, project.Path, FromUnixMs(now));
    }

    public async Task<AgentInfo?> GetAgentAsync(long agentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, AgentSelect + " WHERE a.id = $id", ReadAgent, cancellationToken, ("$id", agentId));
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<AgentInfo?> FindAgentAsync(string projectPath, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, AgentSelect + " WHERE p.path = $path AND a.name = $name", ReadAgent, cancellationToken, ("$path", projectPath), ("$name", name));
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<IReadOnlyList<AgentInfo>> ListAgentsAsync(string? projectPath = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        if (projectPath is null)
        {
            return await QueryAsync(connection, AgentSelect + " ORDER BY a.id", ReadAgent, cancellationToken);
        }

        return await QueryAsync(connection, AgentSelect + " WHERE p.path = $path ORDER BY a.id", ReadAgent, cancellationToken, ("$path", projectPath));
    }

    public async Task DeleteAgentAsync(long agentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await RequireAgentAsync(connection, tx, agentId, cancellationToken);
        foreach (var table in new[] { "tokens", "connections", "activity_events" })
        {
            await ExecuteAsync(connection, tx, $"DELETE FROM {table} WHERE agent_id = $id", cancellationToken, ("$id", agentId));
        }

        await ExecuteAsync(connection, tx, "DELETE FROM agents WHERE id = $id", cancellationToken, ("$id", agentId));
        await tx.CommitAsync(cancellationToken);
        _authCache.Clear();
    }

    // ---- tokens ----

    public async Task<NewAgentToken> CreateTokenAsync(long agentId, string name, string? description = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new AgentRegistryException(AgentRegistryErrorKind.Invalid, "token name must not be empty");
        }

        if (name.Length > MaxTokenNameLength)
        {
            throw new AgentRegistryException(AgentRegistryErrorKind.Invalid, $"token name is longer than {MaxTokenNameLength} characters");
        }

        if (description is { Length: > MaxTokenDescriptionLength })
        {
            throw new AgentRegistryException(AgentRegistryErrorKind.Invalid, $"token description is longer than {MaxTokenDescriptionLength} characters");
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var agentName = await RequireAgentAsync(connection, tx, agentId, cancellationToken);
        var active = (long)(await ScalarAsync(connection, tx, "SELECT COUNT(*) FROM tokens WHERE agent_id = $a AND revoked_at IS NULL", cancellationToken, ("$a", agentId)))!;
        if (active >= MaxActiveTokensPerAgent)
        {
            throw new AgentRegistryException(AgentRegistryErrorKind.LimitExceeded,
                $"agent '{agentName}' (id {agentId}) already has {MaxActiveTokensPerAgent} active tokens; revoke one before creating another");
        }

        var secret = AgentTokens.NewSecret();
        var now = Now();
        var id = (long)(await ScalarAsync(connection, tx,
            "INSERT INTO tokens (agent_id, name, description, token_hash, created_at) VALUES ($a, $n, $d, $h, $t) RETURNING id", cancellationToken,
            ("$a", agentId), ("$n", name), ("$d", description), ("$h", AgentTokens.Hash(secret)), ("$t", now)))!;
        await AddEventAsync(connection, tx, agentId, AgentActivityKind.TokenCreated, now, id, null, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new NewAgentToken(new AgentTokenInfo(id, agentId, name, description, FromUnixMs(now)), secret);
    }

    public async Task<IReadOnlyList<AgentTokenInfo>> ListTokensAsync(long agentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection,
            "SELECT id, agent_id, name, description, created_at, revoked_at, last_used_at FROM tokens WHERE agent_id = $a ORDER BY id",
            r => new AgentTokenInfo(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), FromUnixMs(r.GetInt64(4)))
            {
                RevokedAt = NullableTime(r, 5),
                LastUsedAt = NullableTime(r, 6),
            },
            cancellationToken, ("$a", agentId));
    }

    public async Task RevokeTokenAsync(long tokenId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var (agentId, revoked) = await RequireTokenAsync(connection, tx, tokenId, cancellationToken);
        if (!revoked)
        {
            var now = Now();
            await ExecuteAsync(connection, tx, "UPDATE tokens SET revoked_at = $t WHERE id = $id", cancellationToken, ("$t", now), ("$id", tokenId));
            await AddEventAsync(connection, tx, agentId, AgentActivityKind.TokenRevoked, now, tokenId, null, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        _authCache.Clear();
    }

    public async Task DeleteTokenAsync(long tokenId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var (agentId, revoked) = await RequireTokenAsync(connection, tx, tokenId, cancellationToken);
        await ExecuteAsync(connection, tx, "DELETE FROM tokens WHERE id = $id", cancellationToken, ("$id", tokenId));
        if (!revoked)
        {
            await AddEventAsync(connection, tx, agentId, AgentActivityKind.TokenRevoked, Now(), tokenId, null, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        _authCache.Clear();
    }

    // ---- authentication ----

    public async ValueTask<AgentIdentity?> AuthenticateAsync(string token, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        var hash = AgentTokens.Hash(token);
        var now = _time.GetUtcNow();
        if (_authCache.TryGetValue(hash, out var cached) && cached.ExpiresAt > now)
        {
            return cached.Identity;
        }

        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection,
            """
            SELECT t.id, t.last_used_at, a.id, a.name, p.id, p.path
            FROM tokens t JOIN agents a ON a.id = t.agent_id JOIN projects p ON p.id = a.project_id
            WHERE t.token_hash = $h AND t.revoked_at IS NULL
            """,
            r => (Identity: new AgentIdentity(r.GetInt64(2), r.GetString(3), r.GetInt64(4), r.GetString(5), r.GetInt64(0)), LastUsed: r.IsDBNull(1) ? (long?)null : r.GetInt64(1)),
            cancellationToken, ("$h", hash));
        if (rows.Count == 0)
        {
            _authCache.TryRemove(hash, out _);
            return null;
        }

        var (identity, lastUsed) = rows[0];
        var nowMs = now.ToUnixTimeMilliseconds();
        if (lastUsed is null || nowMs - lastUsed.Value >= (long)_options.LastUsedWriteInterval.TotalMilliseconds)
        {
            await ExecuteAsync(connection, null, "UPDATE tokens SET last_used_at = $t WHERE id = $id", cancellationToken, ("$t", nowMs), ("$id", identity.TokenId));
        }

        _authCache[hash] = new CachedIdentity(identity, now + _options.AuthenticationCacheTtl);
        return identity;
    }

    // ---- connections and activity ----

    public async Task RecordConnectionAsync(AgentConnectionInfo connection, CancellationToken cancellationToken = default)
    {
        await using var db = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(cancellationToken);
        await RequireAgentAsync(db, tx, connection.AgentId, cancellationToken);
        var now = Now();
        var open = await ScalarAsync(db, tx, "SELECT disconnected_at IS NULL FROM connections WHERE agent_id = $a AND connection_id = $c", cancellationToken,
            ("$a", connection.AgentId), ("$c", connection.ConnectionId));
        var isNew = open is null || (long)open == 0;
        await ExecuteAsync(db, tx,
            """
            INSERT INTO connections (agent_id, connection_id, version, commit_id, pod_namespace, pod_name, kubernetes_version, connected_at, last_seen)
            VALUES ($a, $c, $v, $cm, $ns, $pn, $kv, $t, $t)
            ON CONFLICT (agent_id, connection_id) DO UPDATE SET
              version = excluded.version, commit_id = excluded.commit_id, pod_namespace = excluded.pod_namespace,
              pod_name = excluded.pod_name, kubernetes_version = excluded.kubernetes_version, last_seen = excluded.last_seen,
              connected_at = CASE WHEN connections.disconnected_at IS NULL THEN connections.connected_at ELSE excluded.connected_at END,
              disconnected_at = NULL
            """,
            cancellationToken,
            ("$a", connection.AgentId), ("$c", connection.ConnectionId), ("$v", connection.Version), ("$cm", connection.CommitId),
            ("$ns", connection.PodNamespace), ("$pn", connection.PodName), ("$kv", connection.KubernetesVersion), ("$t", now));
        if (isNew)
        {
            await AddEventAsync(db, tx, connection.AgentId, AgentActivityKind.AgentConnected, now, null, connection.ConnectionId, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    public async Task RecordDisconnectionAsync(long agentId, long connectionId, CancellationToken cancellationToken = default)
    {
        await using var db = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await db.BeginTransactionAsync(cancellationToken);
        var now = Now();
        var changed = await ExecuteAsync(db, tx,
            "UPDATE connections SET disconnected_at = $t, last_seen = $t WHERE agent_id = $a AND connection_id = $c AND disconnected_at IS NULL",
            cancellationToken, ("$t", now), ("$a", agentId), ("$c", connectionId));
        if (changed > 0)
        {
            await AddEventAsync(db, tx, agentId, AgentActivityKind.AgentDisconnected, now, null, connectionId, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AgentConnectionInfo>> ListConnectionsAsync(long? agentId = null, bool connectedOnly = true, CancellationToken cancellationToken = default)
    {
        await using var db = await OpenAsync(cancellationToken);
        var sql = """
            SELECT c.agent_id, c.connection_id, c.connected_at, c.last_seen, a.project_id, c.version, c.commit_id, c.pod_namespace,
                   c.pod_name, c.kubernetes_version, c.disconnected_at
            FROM connections c JOIN agents a ON a.id = c.agent_id WHERE 1 = 1
            """;
        if (agentId is not null)
        {
            sql += " AND c.agent_id = $a";
        }

        if (connectedOnly)
        {
            sql += " AND c.disconnected_at IS NULL AND c.last_seen >= $since";
        }

        sql += " ORDER BY c.agent_id, c.connected_at, c.connection_id";
        var since = Now() - (long)_options.ConnectionTtl.TotalMilliseconds;
        return await QueryAsync(db, sql,
            r => new AgentConnectionInfo(r.GetInt64(0), r.GetInt64(1), FromUnixMs(r.GetInt64(2)), FromUnixMs(r.GetInt64(3)))
            {
                ProjectId = r.GetInt64(4),
                Version = NullableString(r, 5),
                CommitId = NullableString(r, 6),
                PodNamespace = NullableString(r, 7),
                PodName = NullableString(r, 8),
                KubernetesVersion = NullableString(r, 9),
                DisconnectedAt = NullableTime(r, 10),
            },
            cancellationToken, ("$a", agentId), ("$since", since));
    }

    public async Task<IReadOnlyList<AgentActivityEvent>> ListActivityAsync(long agentId, int limit = 200, CancellationToken cancellationToken = default)
    {
        await using var db = await OpenAsync(cancellationToken);
        return await QueryAsync(db,
            "SELECT id, agent_id, kind, occurred_at, token_id, connection_id FROM activity_events WHERE agent_id = $a ORDER BY occurred_at DESC, id DESC LIMIT $l",
            r => new AgentActivityEvent(r.GetInt64(0), r.GetInt64(1), (AgentActivityKind)r.GetInt32(2), FromUnixMs(r.GetInt64(3)),
                r.IsDBNull(4) ? null : r.GetInt64(4), r.IsDBNull(5) ? null : r.GetInt64(5)),
            cancellationToken, ("$a", agentId), ("$l", Math.Max(0, limit)));
    }

    public async Task RecordConfigurationAppliedAsync(long agentId, string commitId, CancellationToken cancellationToken = default)
    {
        await using var db = await OpenAsync(cancellationToken);
        await ExecuteAsync(db, null,
            "UPDATE agents SET last_config_commit = $c, last_config_at = $t, last_config_error = NULL, last_config_error_commit = NULL WHERE id = $id",
            cancellationToken, ("$c", commitId), ("$t", Now()), ("$id", agentId));
    }

    public async Task RecordConfigurationErrorAsync(long agentId, string commitId, string error, CancellationToken cancellationToken = default)
    {
        await using var db = await OpenAsync(cancellationToken);
        await ExecuteAsync(db, null,
            "UPDATE agents SET last_config_error = $e, last_config_error_commit = $c WHERE id = $id",
            cancellationToken, ("$e", error), ("$c", commitId), ("$id", agentId));
    }

    // ---- helpers ----

    private const string AgentSelect = """
        SELECT a.id, a.name, p.id, p.path, a.created_at, a.last_config_commit, a.last_config_at, a.last_config_error, a.last_config_error_commit
        FROM agents a JOIN projects p ON p.id = a.project_id
        """;

    private static AgentInfo ReadAgent(SqliteDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetString(3), FromUnixMs(r.GetInt64(4)))
        {
            LastConfigurationCommit = NullableString(r, 5),
            LastConfigurationAt = NullableTime(r, 6),
            LastConfigurationError = NullableString(r, 7),
            LastConfigurationErrorCommit = NullableString(r, 8),
        };

    private static ProjectInfo ReadProject(SqliteDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetInt64(2) != 0);

    private static void ValidateProjectPath(string projectPath)
    {
        if (ProjectPaths.Validate(projectPath) is { } error)
        {
            throw new AgentRegistryException(AgentRegistryErrorKind.Invalid, error);
        }
    }

    private async Task<ProjectInfo> EnsureProjectAsync(SqliteConnection connection, SqliteTransaction? tx, string projectPath, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, tx, "INSERT INTO projects (path, is_public, created_at) VALUES ($path, 0, $t) ON CONFLICT (path) DO NOTHING", cancellationToken,
            ("$path", projectPath), ("$t", Now()));
        var rows = await QueryAsync(connection, tx, "SELECT id, path, is_public FROM projects WHERE path = $path", ReadProject, cancellationToken, ("$path", projectPath));
        return rows[0];
    }

    private static async Task<string> RequireAgentAsync(SqliteConnection connection, SqliteTransaction tx, long agentId, CancellationToken cancellationToken)
    {
        var name = await ScalarAsync(connection, tx, "SELECT name FROM agents WHERE id = $id", cancellationToken, ("$id", agentId));
        return name as string ?? throw new AgentRegistryException(AgentRegistryErrorKind.NotFound, $"agent {agentId} does not exist");
    }

    private static async Task<(long AgentId, bool Revoked)> RequireTokenAsync(SqliteConnection connection, SqliteTransaction tx, long tokenId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(connection, tx, "SELECT agent_id, revoked_at IS NOT NULL FROM tokens WHERE id = $id",
            r => (r.GetInt64(0), r.GetInt64(1) != 0), cancellationToken, ("$id", tokenId));
        return rows.Count == 0 ? throw new AgentRegistryException(AgentRegistryErrorKind.NotFound, $"token {tokenId} does not exist") : rows[0];
    }

    private static Task AddEventAsync(SqliteConnection connection, SqliteTransaction tx, long agentId, AgentActivityKind kind, long at, long? tokenId, long? connectionId, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, tx, "INSERT INTO activity_events (agent_id, kind, occurred_at, token_id, connection_id) VALUES ($a, $k, $t, $tok, $c)", cancellationToken,
            ("$a", agentId), ("$k", (int)kind), ("$t", at), ("$tok", tokenId), ("$c", connectionId));

    private Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => _database.OpenAsync(cancellationToken);

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private sealed record CachedIdentity(AgentIdentity Identity, DateTimeOffset ExpiresAt);
}
