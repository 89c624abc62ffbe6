namespace Gitlab.Agent.Cilium;

/// <summary>Where KAS keeps Cilium alerts. The default implementation is SQLite (<see cref="CiliumServerOptions.DatabasePath"/>).</summary>
public interface ICiliumAlertStore
{
    /// <summary>
    /// Merges one report into the alert with the same agent and fingerprint (or creates it) and returns the result.
    /// <paramref name="report"/>'s <see cref="CiliumAlert.Count"/>/<see cref="CiliumAlert.DroppedAlerts"/>/
    /// <see cref="CiliumAlert.DroppedFlows"/> are added. A report identical to the previous one for that fingerprint
    /// (same count, first and last seen: an agent retry) changes nothing.
    /// </summary>
    Task<CiliumAlert> UpsertAsync(CiliumAlert report, CancellationToken cancellationToken = default);

    /// <summary>Alerts of <paramref name="agentId"/> (all agents when <see langword="null"/>), most recently seen first.</summary>
    Task<IReadOnlyList<CiliumAlert>> ListAsync(long? agentId, int limit = 100, CancellationToken cancellationToken = default);
}
