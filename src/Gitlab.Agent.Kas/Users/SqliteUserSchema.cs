using Gitlab.Agent.Kas.Storage;

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

    /// <summary>Opens and migrates the tables in the database file at <paramref name="path"/>.</summary>
    public static SqliteDatabase Open(string path) => new(path, "user_schema_migrations", Migrations, "user tables of the registry database");
}
