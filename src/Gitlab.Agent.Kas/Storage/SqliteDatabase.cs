using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Gitlab.Agent.Kas.Storage;

/// <summary>
/// One SQLite file in WAL mode whose tables are created by numbered migrations recorded in their own table, so several
/// stores (agent registry, users) can share a file and evolve independently. Safe to share between a running KAS and
/// the <c>kas</c> CLI.
/// </summary>
internal sealed class SqliteDatabase
{
    private readonly string _connectionString;

    /// <summary>Opens (creating the file and its directory when missing) and migrates the database.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="migrationsTable">The table that records which of <paramref name="migrations"/> ran.</param>
    /// <param name="migrations">SQL scripts in order; a released one is never edited, only new ones appended.</param>
    /// <param name="description">What the tables hold, for errors (for example "registry database").</param>
    public SqliteDatabase(string path, string migrationsTable, IReadOnlyList<string> migrations, string description)
    {
        Path = System.IO.Path.GetFullPath(path);
        if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        Migrate(migrationsTable, migrations, description);
    }

    /// <summary>The full path of the database file.</summary>
    public string Path { get; }

    /// <summary>An open connection; the caller disposes it.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private void Migrate(string migrationsTable, IReadOnlyList<string> migrations, string description)
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, null, "PRAGMA journal_mode = WAL;");
        Execute(connection, null, $"CREATE TABLE IF NOT EXISTS {migrationsTable} (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);");
        using var tx = connection.BeginTransaction();
        using var read = connection.CreateCommand();
        read.Transaction = tx;
        read.CommandText = $"SELECT COALESCE(MAX(version), 0) FROM {migrationsTable}";
        var current = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
        if (current > migrations.Count)
        {
            throw new InvalidOperationException(
                $"{description} '{Path}' has schema version {current} ({migrationsTable}), newer than this KAS supports ({migrations.Count}); upgrade KAS");
        }

        for (var version = current + 1; version <= migrations.Count; version++)
        {
            Execute(connection, tx, migrations[version - 1]);
            Execute(connection, tx, $"INSERT INTO {migrationsTable} (version, applied_at) VALUES ({version}, {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()})");
        }

        tx.Commit();
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? tx, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
