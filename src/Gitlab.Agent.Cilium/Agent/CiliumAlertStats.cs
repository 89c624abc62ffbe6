using Gitlab.Agent.Cilium.Policies;

namespace Gitlab.Agent.Cilium.Agent;

/// <summary>Counters of the agent half, for logs, tests and the benchmark. Thread-safe.</summary>
internal sealed class CiliumAlertStats
{
    private readonly long[] _decisions = new long[Enum.GetValues<FlowDecision>().Length];
    private long _streams;
    private long _flowsReceived;
    private long _duplicateFlows;
    private long _lostEvents;
    private long _nodeErrors;
    private long _alertsQueued;
    private long _alertsDelivered;
    private long _alertsRejected;
    private long _deliveryFailures;

    public long Streams => Interlocked.Read(ref _streams);

    public long FlowsReceived => Interlocked.Read(ref _flowsReceived);

    public long DuplicateFlows => Interlocked.Read(ref _duplicateFlows);

    public long LostEvents => Interlocked.Read(ref _lostEvents);

    public long NodeErrors => Interlocked.Read(ref _nodeErrors);

    public long AlertsQueued => Interlocked.Read(ref _alertsQueued);

    public long AlertsDelivered => Interlocked.Read(ref _alertsDelivered);

    public long AlertsRejected => Interlocked.Read(ref _alertsRejected);

    public long DeliveryFailures => Interlocked.Read(ref _deliveryFailures);

    /// <summary>Flows matched and counted, whatever the decision.</summary>
    public long FlowsProcessed
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _decisions.Length; i++)
            {
                total += Interlocked.Read(ref _decisions[i]);
            }

            return total;
        }
    }

    public long Decisions(FlowDecision decision) => Interlocked.Read(ref _decisions[(int)decision]);

    public void StreamOpened() => Interlocked.Increment(ref _streams);

    public void FlowReceived() => Interlocked.Increment(ref _flowsReceived);

    public void DuplicateFlow() => Interlocked.Increment(ref _duplicateFlows);

    public void Lost(ulong count) => Interlocked.Add(ref _lostEvents, (long)Math.Min(count, long.MaxValue));

    public void NodeError() => Interlocked.Increment(ref _nodeErrors);

    public void Decided(FlowDecision decision) => Interlocked.Increment(ref _decisions[(int)decision]);

    public void AlertQueued() => Interlocked.Increment(ref _alertsQueued);

    public void AlertDelivered() => Interlocked.Increment(ref _alertsDelivered);

    public void AlertRejected() => Interlocked.Increment(ref _alertsRejected);

    public void DeliveryFailed() => Interlocked.Increment(ref _deliveryFailures);
}
