using Gitlab.Agent.Cilium.Alerts;
using Gitlab.Agent.Cilium.Policies;
using Gitlab.Agent.Protocol.Cilium.Flow;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Cilium.Agent;

/// <summary>Flow → policy match → fingerprint → aggregation, and the periodic hand-over of due alerts to delivery.</summary>
internal sealed class CiliumAlertPipeline
{
    private readonly ICiliumPolicyCache _policies;
    private readonly AlertAggregator _aggregator;
    private readonly AlertDeliveryQueue _delivery;
    private readonly CiliumAlertStats _stats;
    private readonly CiliumAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _projectId;
    private long _overflowLogged;

    public CiliumAlertPipeline(
        ICiliumPolicyCache policies,
        AlertAggregator aggregator,
        AlertDeliveryQueue delivery,
        CiliumAlertStats stats,
        CiliumAgentOptions options,
        TimeProvider time,
        ILogger logger)
    {
        _policies = policies;
        _aggregator = aggregator;
        _delivery = delivery;
        _stats = stats;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Id of the agent's configuration project; policies labelled for other projects are skipped. 0 = unknown.</summary>
    public long ProjectId
    {
        get => Interlocked.Read(ref _projectId);
        set => Interlocked.Exchange(ref _projectId, value);
    }

    public AlertAggregator Aggregator => _aggregator;

    /// <summary>Matches one flow and counts it towards its alert.</summary>
    public FlowDecision Process(Flow flow, Timestamp? time)
    {
        var match = FlowPolicyMatcher.Match(flow, _policies.Snapshot, ProjectId);
        _stats.Decided(match.Decision);
        if (match.Decision == FlowDecision.Alert)
        {
            var policy = match.Policy!;
            var fingerprint = AlertFingerprint.ComputeKey(flow, policy.Namespace, policy.Name);
            var seen = time is null ? _time.GetUtcNow() : time.ToDateTimeOffset();
            if (!_aggregator.Add(fingerprint, policy, flow, seen) && Interlocked.Exchange(ref _overflowLogged, 1) == 0)
            {
                CiliumAgentLog.PendingAlertsFull(_logger, _options.MaxPendingAlerts);
            }
        }

        return match.Decision;
    }

    /// <summary>Moves due alerts to the delivery queue.</summary>
    public void Flush()
    {
        var due = _aggregator.TakeDue();
        foreach (var alert in due)
        {
            _delivery.Enqueue(alert);
        }

        if (due.Count > 0 && _aggregator.PendingCount < _options.MaxPendingAlerts)
        {
            Interlocked.Exchange(ref _overflowLogged, 0);
        }
    }

    /// <summary>Calls <see cref="Flush"/> every <see cref="CiliumAgentOptions.FlushInterval"/> until cancelled.</summary>
    public async Task RunFlushLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.FlushInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                Flush();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
