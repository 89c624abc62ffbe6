using Gitlab.Agent.Kas.Storage;

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

    /// <summary>Opens and migrates the tables in the database file at <paramref name="path"/>.</summary>
    public static SqliteDatabase Open(string path) => new(path, "schema_migrations", Migrations, "registry database");
}
