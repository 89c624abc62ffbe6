namespace Gitlab.Agent.Cilium.Alerts;

/// <summary>Counts alerts and flows that could not be reported, until a later alert reports them.</summary>
internal sealed class AlertLossCounter
{
    private long _alerts;
    private long _flows;

    /// <summary>Alerts lost (delivery queue full or alert rejected) and not yet reported.</summary>
    public long Alerts => Interlocked.Read(ref _alerts);

    /// <summary>Flows whose alert was lost and not yet reported.</summary>
    public long Flows => Interlocked.Read(ref _flows);

    public void Add(long alerts, long flows)
    {
        Interlocked.Add(ref _alerts, alerts);
        Interlocked.Add(ref _flows, flows);
    }

    /// <summary>Removes what a delivered alert reported.</summary>
    public void Reported(long alerts, long flows)
    {
        Interlocked.Add(ref _alerts, -alerts);
        Interlocked.Add(ref _flows, -flows);
    }
}
