using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Gitlab.Agent.Tunnel.Server.Access;

/// <summary>
/// Default <see cref="ICiJobTokenService"/>: random tokens (<c>glcbt-…</c>) whose SHA-256 hashes are stored in the
/// SQLite table <c>ci_job_tokens</c> with the job they stand for (JSON), by default in the KAS registry database.
/// <see cref="TunnelServerOptions.TokenDatabasePath"/> <c>:memory:</c> keeps them in memory only. (Personal access tokens live in KAS's user store, see <see cref="UserStorePersonalAccessTokens"/>.)
/// </summary>
internal sealed class SqliteCiJobTokenStore : ICiJobTokenService, IDisposable
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    private readonly string _connectionString;
    private readonly SqliteConnection? _keepAlive;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _schema = new(1, 1);
    private bool _schemaReady;

    public SqliteCiJobTokenStore(string path, TimeProvider time)
    {
        _time = time;
        if (path == ":memory:")
        {
            _connectionString = new SqliteConnectionStringBuilder { DataSource = "ci-job-tokens-" + Guid.NewGuid().ToString("N"), Mode = SqliteOpenMode.Memory, Cache = SqliteCacheMode.Shared }.ToString();
            _keepAlive = new SqliteConnection(_connectionString);
            _keepAlive.Open();
        }
        else
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true }.ToString();
        }
    }

    public async Task<IssuedToken> IssueAsync(CiJob job, TimeSpan? lifetime = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var duration = lifetime ?? TimeSpan.FromHours(1);
        if (duration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "Token lifetime must be positive.");
        }

        var token = "glcbt-" + Base64UrlEncode(RandomNumberGenerator.GetBytes(24));
        var now = _time.GetUtcNow();
        var expires = now + duration;
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO ci_job_tokens (token_hash, job_id, job, created_at, expires_at)
            VALUES ($hash, $job_id, $job, $created, $expires);
            SELECT last_insert_rowid();
            """;
        command.Parameters.AddWithValue("$hash", Hash(token));
        command.Parameters.AddWithValue("$job_id", job.JobId);
        command.Parameters.AddWithValue("$job", JsonSerializer.Serialize(job, s_json));
        command.Parameters.AddWithValue("$created", now.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$expires", expires.ToUnixTimeMilliseconds());
        var id = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return new IssuedToken(id, token, expires);
    }

    public async Task<CiJob?> VerifyAsync(string token, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT job FROM ci_job_tokens
            WHERE token_hash = $hash AND revoked_at IS NULL AND expires_at > $now
            """;
        command.Parameters.AddWithValue("$hash", Hash(token));
        command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string json
            ? JsonSerializer.Deserialize<CiJob>(json, s_json)
            : null;
    }

    /// <summary>Raised with the token after <see cref="RevokeAsync"/> revoked it, so caches of this process drop it at once.</summary>
    public event Action<string>? Revoked;

    public async Task<bool> RevokeAsync(string token, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE ci_job_tokens SET revoked_at = $now WHERE token_hash = $hash AND revoked_at IS NULL";
        command.Parameters.AddWithValue("$hash", Hash(token));
        command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            return false;
        }

        Revoked?.Invoke(token);
        return true;
    }

    public void Dispose()
    {
        _keepAlive?.Dispose();
        _schema.Dispose();
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (!_schemaReady)
        {
            await _schema.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!_schemaReady)
                {
                    await using var command = connection.CreateCommand();
                    command.CommandText = """
                        PRAGMA journal_mode = WAL;
                        CREATE TABLE IF NOT EXISTS ci_job_tokens (
                            id INTEGER PRIMARY KEY AUTOINCREMENT,
                            token_hash TEXT NOT NULL UNIQUE,
                            job_id INTEGER NOT NULL,
                            job TEXT NOT NULL,
                            created_at INTEGER NOT NULL,
                            expires_at INTEGER NOT NULL,
                            revoked_at INTEGER
                        );
                        """;
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    _schemaReady = true;
                }
            }
            finally
            {
                _schema.Release();
            }
        }

        return connection;
    }

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
