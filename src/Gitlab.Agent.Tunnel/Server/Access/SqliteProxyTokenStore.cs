using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Gitlab.Agent.Tunnel.Server.Access;

/// <summary>
/// Default <see cref="ICiJobTokenService"/> and <see cref="IPersonalAccessTokenService"/>: random tokens
/// (<c>glcbt-…</c>, <c>glpat-…</c>) whose SHA-256 hashes are stored in SQLite with what they stand for.
/// <see cref="TunnelServerOptions.TokenDatabasePath"/> <c>:memory:</c> keeps them in memory only.
/// </summary>
internal sealed class SqliteProxyTokenStore : ICiJobTokenService, IPersonalAccessTokenService, IDisposable
{
    private const string CiJobKind = "ci_job";
    private const string PersonalKind = "personal";
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    private readonly string _connectionString;
    private readonly SqliteConnection? _keepAlive;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _schema = new(1, 1);
    private bool _schemaReady;

    public SqliteProxyTokenStore(string path, TimeProvider time)
    {
        _time = time;
        if (path == ":memory:")
        {
            _connectionString = new SqliteConnectionStringBuilder { DataSource = "proxy-tokens-" + Guid.NewGuid().ToString("N"), Mode = SqliteOpenMode.Memory, Cache = SqliteCacheMode.Shared }.ToString();
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

    Task<IssuedToken> ICiJobTokenService.IssueAsync(CiJob job, TimeSpan? lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return IssueAsync(CiJobKind, "glcbt-", $"job {job.JobId}", JsonSerializer.Serialize(job, s_json), lifetime ?? TimeSpan.FromHours(1), cancellationToken);
    }

    async Task<CiJob?> ICiJobTokenService.VerifyAsync(string token, CancellationToken cancellationToken) =>
        await VerifyAsync(CiJobKind, token, cancellationToken).ConfigureAwait(false) is { } json ? JsonSerializer.Deserialize<CiJob>(json, s_json) : null;

    Task<bool> ICiJobTokenService.RevokeAsync(string token, CancellationToken cancellationToken) => RevokeAsync(CiJobKind, token, cancellationToken);

    Task<IssuedToken> IPersonalAccessTokenService.IssueAsync(ProxyUser user, string name, TimeSpan? lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return IssueAsync(PersonalKind, "glpat-", name, JsonSerializer.Serialize(user, s_json), lifetime ?? TimeSpan.FromDays(30), cancellationToken);
    }

    async Task<ProxyUser?> IPersonalAccessTokenService.VerifyAsync(string token, CancellationToken cancellationToken) =>
        await VerifyAsync(PersonalKind, token, cancellationToken).ConfigureAwait(false) is { } json ? JsonSerializer.Deserialize<ProxyUser>(json, s_json) : null;

    Task<bool> IPersonalAccessTokenService.RevokeAsync(string token, CancellationToken cancellationToken) => RevokeAsync(PersonalKind, token, cancellationToken);

    public void Dispose()
    {
        _keepAlive?.Dispose();
        _schema.Dispose();
    }

    private async Task<IssuedToken> IssueAsync(string kind, string prefix, string name, string subject, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        if (lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "Token lifetime must be positive.");
        }

        var token = prefix + Base64UrlEncode(RandomNumberGenerator.GetBytes(24));
        var now = _time.GetUtcNow();
        var expires = now + lifetime;
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO proxy_tokens (kind, token_hash, name, subject, created_at, expires_at)
            VALUES ($kind, $hash, $name, $subject, $created, $expires);
            SELECT last_insert_rowid();
            """;
        command.Parameters.AddWithValue("$kind", kind);
        command.Parameters.AddWithValue("$hash", Hash(token));
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$subject", subject);
        command.Parameters.AddWithValue("$created", now.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$expires", expires.ToUnixTimeMilliseconds());
        var id = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return new IssuedToken(id, token, expires);
    }

    private async Task<string?> VerifyAsync(string kind, string token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT subject FROM proxy_tokens
            WHERE kind = $kind AND token_hash = $hash AND revoked_at IS NULL AND expires_at > $now
            """;
        command.Parameters.AddWithValue("$kind", kind);
        command.Parameters.AddWithValue("$hash", Hash(token));
        command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    private async Task<bool> RevokeAsync(string kind, string token, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE proxy_tokens SET revoked_at = $now WHERE kind = $kind AND token_hash = $hash AND revoked_at IS NULL";
        command.Parameters.AddWithValue("$kind", kind);
        command.Parameters.AddWithValue("$hash", Hash(token));
        command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
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
                        CREATE TABLE IF NOT EXISTS proxy_tokens (
                            id INTEGER PRIMARY KEY AUTOINCREMENT,
                            kind TEXT NOT NULL,
                            token_hash TEXT NOT NULL UNIQUE,
                            name TEXT NOT NULL,
                            subject TEXT NOT NULL,
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
