using Microsoft.Data.Sqlite;

namespace Gitlab.Agent.Kas.Registry;

/// <summary>Schema of the SQLite registry, applied as numbered migrations recorded in <c>schema_migrations</c>.</summary>
internal static class SqliteRegistrySchema
{
    /// <summary>Migrations in order; a migration is never edited once released, only new ones are appended.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE projects (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          path TEXT NOT NULL UNIQUE,
          is_public INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL);
        CREATE TABLE agents (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          project_id INTEGER NOT NULL REFERENCES projects(id),
          name TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          last_config_commit TEXT,
          last_config_at INTEGER,
          last_config_error TEXT,
          last_config_error_commit TEXT,
          UNIQUE (project_id, name));
        CREATE TABLE tokens (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          agent_id INTEGER NOT NULL REFERENCES agents(id),
          name TEXT NOT NULL,
          description TEXT,
          token_hash TEXT NOT NULL UNIQUE,
          created_at INTEGER NOT NULL,
          revoked_at INTEGER,
          last_used_at INTEGER);
        CREATE INDEX tokens_agent ON tokens(agent_id);
        CREATE TABLE connections (
          agent_id INTEGER NOT NULL REFERENCES agents(id),
          connection_id INTEGER NOT NULL,
          version TEXT,
          commit_id TEXT,
          pod_namespace TEXT,
          pod_name TEXT,
          kubernetes_version TEXT,
          connected_at INTEGER NOT NULL,
          last_seen INTEGER NOT NULL,
          disconnected_at INTEGER,
          PRIMARY KEY (agent_id, connection_id));
        CREATE TABLE activity_events (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          agent_id INTEGER NOT NULL REFERENCES agents(id),
          kind INTEGER NOT NULL,
          occurred_at INTEGER NOT NULL,
          token_id INTEGER,
          connection_id INTEGER);
        CREATE INDEX activity_events_agent ON activity_events(agent_id, occurred_at);
        """,
    ];

    public static int LatestVersion => Migrations.Length;

    public static void Migrate(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        Execute(connection, null, "PRAGMA journal_mode = WAL;");
        Execute(connection, null, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);");
        using var tx = connection.BeginTransaction();
        using var read = connection.CreateCommand();
        read.Transaction = tx;
        read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
        var current = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (current > Migrations.Length)
        {
            throw new InvalidOperationException(
                $"registry database '{connection.DataSource}' has schema version {current}, newer than this KAS supports ({Migrations.Length}); upgrade KAS");
        }

        for (var version = current + 1; version <= Migrations.Length; version++)
        {
            Execute(connection, tx, Migrations[version - 1]);
            Execute(connection, tx, $"INSERT INTO schema_migrations (version, applied_at) VALUES ({version}, {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()})");
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
