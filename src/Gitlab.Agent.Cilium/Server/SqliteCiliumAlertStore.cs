using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Cilium.Server;

/// <summary>
/// <see cref="ICiliumAlertStore"/> on a SQLite file (WAL). One row per agent and fingerprint; beyond
/// <see cref="CiliumServerOptions.MaxAlertsPerAgent"/> the least recently seen rows of that agent are deleted.
/// </summary>
internal sealed class SqliteCiliumAlertStore : ICiliumAlertStore, IDisposable
{
    private const string Columns =
        "agent_id, fingerprint, policy_namespace, policy_name, traffic_direction, verdict, drop_reason, source, destination, " +
        "count, dropped_alerts, dropped_flows, reports, first_seen, last_seen, received_at, last_report, payload";

    private readonly string _path;
    private readonly string _connectionString;
    private readonly int _maxAlertsPerAgent;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _initialized;

    public SqliteCiliumAlertStore(IOptions<CiliumServerOptions> options)
    {
        _path = Path.GetFullPath(options.Value.DatabasePath);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = _path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true }.ToString();
        _maxAlertsPerAgent = options.Value.MaxAlertsPerAgent;
    }

    public async Task<CiliumAlert> UpsertAsync(CiliumAlert report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            CiliumAlert? existing = null;
            string? lastReport = null;
            await using (var select = connection.CreateCommand())
            {
                select.Transaction = transaction;
                select.CommandText = $"SELECT {Columns} FROM cilium_alerts WHERE agent_id = $agent AND fingerprint = $fingerprint";
                select.Parameters.AddWithValue("$agent", report.AgentId);
                select.Parameters.AddWithValue("$fingerprint", report.Fingerprint);
                await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    existing = Read(reader);
                    lastReport = reader.GetString(16);
                }
            }

            var reportKey = string.Create(CultureInfo.InvariantCulture, $"{report.Count}|{report.FirstSeen.UtcTicks}|{report.LastSeen.UtcTicks}|{report.DroppedAlerts}|{report.DroppedFlows}");
            if (existing is not null && lastReport == reportKey)
            {
                return existing;
            }

            var merged = existing is null
                ? report with { Reports = 1 }
                : report with
                {
                    Count = existing.Count + report.Count,
                    DroppedAlerts = existing.DroppedAlerts + report.DroppedAlerts,
                    DroppedFlows = existing.DroppedFlows + report.DroppedFlows,
                    Reports = existing.Reports + 1,
                    FirstSeen = existing.FirstSeen < report.FirstSeen ? existing.FirstSeen : report.FirstSeen,
                    LastSeen = existing.LastSeen > report.LastSeen ? existing.LastSeen : report.LastSeen,
                };
            await using (var upsert = connection.CreateCommand())
            {
                upsert.Transaction = transaction;
                upsert.CommandText =
                    $"INSERT OR REPLACE INTO cilium_alerts ({Columns}) VALUES ($agent, $fingerprint, $ns, $name, $direction, $verdict, $reason, $source, $destination, " +
                    "$count, $droppedAlerts, $droppedFlows, $reports, $first, $last, $received, $lastReport, $payload)";
                upsert.Parameters.AddWithValue("$agent", merged.AgentId);
                upsert.Parameters.AddWithValue("$fingerprint", merged.Fingerprint);
                upsert.Parameters.AddWithValue("$ns", merged.PolicyNamespace);
                upsert.Parameters.AddWithValue("$name", merged.PolicyName);
                upsert.Parameters.AddWithValue("$direction", merged.TrafficDirection);
                upsert.Parameters.AddWithValue("$verdict", merged.Verdict);
                upsert.Parameters.AddWithValue("$reason", merged.DropReason);
                upsert.Parameters.AddWithValue("$source", merged.Source);
                upsert.Parameters.AddWithValue("$destination", merged.Destination);
                upsert.Parameters.AddWithValue("$count", merged.Count);
                upsert.Parameters.AddWithValue("$droppedAlerts", merged.DroppedAlerts);
                upsert.Parameters.AddWithValue("$droppedFlows", merged.DroppedFlows);
                upsert.Parameters.AddWithValue("$reports", merged.Reports);
                upsert.Parameters.AddWithValue("$first", merged.FirstSeen.UtcTicks);
                upsert.Parameters.AddWithValue("$last", merged.LastSeen.UtcTicks);
                upsert.Parameters.AddWithValue("$received", merged.ReceivedAt.UtcTicks);
                upsert.Parameters.AddWithValue("$lastReport", reportKey);
                upsert.Parameters.AddWithValue("$payload", merged.Payload);
                await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (existing is null)
            {
                await using var prune = connection.CreateCommand();
                prune.Transaction = transaction;
                prune.CommandText =
                    "DELETE FROM cilium_alerts WHERE rowid IN (SELECT rowid FROM cilium_alerts WHERE agent_id = $agent " +
                    "ORDER BY last_seen DESC LIMIT -1 OFFSET $max)";
                prune.Parameters.AddWithValue("$agent", merged.AgentId);
                prune.Parameters.AddWithValue("$max", _maxAlertsPerAgent);
                await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return merged;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<CiliumAlert>> ListAsync(long? agentId, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = agentId is null
            ? $"SELECT {Columns} FROM cilium_alerts ORDER BY last_seen DESC, fingerprint LIMIT $limit"
            : $"SELECT {Columns} FROM cilium_alerts WHERE agent_id = $agent ORDER BY last_seen DESC, fingerprint LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        if (agentId is not null)
        {
            command.Parameters.AddWithValue("$agent", agentId.Value);
        }

        var result = new List<CiliumAlert>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(Read(reader));
        }

        return result;
    }

    public void Dispose() => _gate.Dispose();

    private static CiliumAlert Read(SqliteDataReader reader) => new()
    {
        AgentId = reader.GetInt64(0),
        Fingerprint = reader.GetString(1),
        PolicyNamespace = reader.GetString(2),
        PolicyName = reader.GetString(3),
        TrafficDirection = reader.GetString(4),
        Verdict = reader.GetString(5),
        DropReason = reader.GetString(6),
        Source = reader.GetString(7),
        Destination = reader.GetString(8),
        Count = reader.GetInt64(9),
        DroppedAlerts = reader.GetInt64(10),
        DroppedFlows = reader.GetInt64(11),
        Reports = reader.GetInt64(12),
        FirstSeen = new DateTimeOffset(reader.GetInt64(13), TimeSpan.Zero),
        LastSeen = new DateTimeOffset(reader.GetInt64(14), TimeSpan.Zero),
        ReceivedAt = new DateTimeOffset(reader.GetInt64(15), TimeSpan.Zero),
        Payload = reader.GetString(17),
    };

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var initialized = Volatile.Read(ref _initialized);
        if (!initialized && Path.GetDirectoryName(_path) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (!initialized)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode = WAL;
                CREATE TABLE IF NOT EXISTS cilium_alerts (
                  agent_id INTEGER NOT NULL,
                  fingerprint TEXT NOT NULL,
                  policy_namespace TEXT NOT NULL,
                  policy_name TEXT NOT NULL,
                  traffic_direction TEXT NOT NULL,
                  verdict TEXT NOT NULL,
                  drop_reason TEXT NOT NULL,
                  source TEXT NOT NULL,
                  destination TEXT NOT NULL,
                  count INTEGER NOT NULL,
                  dropped_alerts INTEGER NOT NULL,
                  dropped_flows INTEGER NOT NULL,
                  reports INTEGER NOT NULL,
                  first_seen INTEGER NOT NULL,
                  last_seen INTEGER NOT NULL,
                  received_at INTEGER NOT NULL,
                  last_report TEXT NOT NULL,
                  payload TEXT NOT NULL,
                  PRIMARY KEY (agent_id, fingerprint));
                CREATE INDEX IF NOT EXISTS cilium_alerts_agent_last_seen ON cilium_alerts (agent_id, last_seen DESC);
                """;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _initialized, true);
        }

        return connection;
    }
}
