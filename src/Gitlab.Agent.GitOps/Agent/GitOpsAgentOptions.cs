namespace Gitlab.Agent.GitOps.Agent;

/// <summary>Tuning of the agentk GitOps module (the per-project keys come from the agent configuration file).</summary>
public sealed class GitOpsAgentOptions
{
    /// <summary>How many objects are applied, read or pruned at once (default 16).</summary>
    public int ApplyParallelism { get; set; } = 16;

    /// <summary>How often the last commit is re-synchronized to correct drift that watches missed (default 5 min). Unchanged objects cause no writes.</summary>
    public TimeSpan ResyncPeriod { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>First delay after a failed stream or sync (default 10 s); doubles up to <see cref="RetryMaxBackoff"/>.</summary>
    public TimeSpan RetryInitialBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest delay between retries (default 5 min).</summary>
    public TimeSpan RetryMaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Watch applied objects and re-apply the ones whose managed fields were changed (default on).</summary>
    public bool DriftCorrection { get; set; } = true;

    /// <summary>How long to gather watch events before correcting drift (default 500 ms).</summary>
    public TimeSpan DriftDebounce { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long CRDs and Namespaces of a commit may take to become Established/Active before the objects that need them are applied (default 1 min).</summary>
    public TimeSpan EstablishTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often readiness is re-checked while waiting for <c>reconcile_timeout</c> (default 2 s).</summary>
    public TimeSpan ReadinessPollInterval { get; set; } = TimeSpan.FromSeconds(2);
}
