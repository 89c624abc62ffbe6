using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Gitlab.Agent.Kas.Users;

/// <summary>
/// Tables of <see cref="SqliteUserStore"/> in the registry database. They have their own migration counter
/// (<c>user_schema_migrations</c>) so they evolve independently of the agent registry's tables.
/// </summary>
internal static class SqliteUserSchema
{
    /// <summary>Migrations in order; a migration is never edited once released, only new ones are appended.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE users (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          username TEXT NOT NULL UNIQUE COLLATE NOCASE,
          created_at INTEGER NOT NULL);
        CREATE TABLE memberships (
          user_id INTEGER NOT NULL REFERENCES users(id),
          target_kind INTEGER NOT NULL,
          path TEXT NOT NULL,
          access_level INTEGER NOT NULL,
          created_at INTEGER NOT NULL,
          PRIMARY KEY (user_id, target_kind, path));
        CREATE TABLE personal_access_tokens (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          user_id INTEGER NOT NULL REFERENCES users(id),
          name TEXT NOT NULL,
          scopes TEXT NOT NULL,
          token_hash TEXT NOT NULL UNIQUE,
          created_at INTEGER NOT NULL,
          expires_at INTEGER,
          revoked_at INTEGER,
          last_used_at INTEGER);
        CREATE INDEX personal_access_tokens_user ON personal_access_tokens(user_id);
        """,
    ];

    public static int LatestVersion => Migrations.Length;

    public static void Migrate(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        Execute(connection, null, "PRAGMA journal_mode = WAL;");
        Execute(connection, null, "CREATE TABLE IF NOT EXISTS user_schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);");
        using var tx = connection.BeginTransaction();
        using var read = connection.CreateCommand();
        read.Transaction = tx;
        read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM user_schema_migrations";
        var current = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
        if (current > Migrations.Length)
        {
            throw new InvalidOperationException(
                $"registry database '{connection.DataSource}' has user schema version {current}, newer than this KAS supports ({Migrations.Length}); upgrade KAS");
        }

        for (var version = current + 1; version <= Migrations.Length; version++)
        {
            Execute(connection, tx, Migrations[version - 1]);
            Execute(connection, tx, string.Create(CultureInfo.InvariantCulture,
                $"INSERT INTO user_schema_migrations (version, applied_at) VALUES ({version}, {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()})"));
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
