namespace Gitlab.Agent.Agentk.Hosting;

/// <summary>Records why agentk stopped, so the process can exit with a non-zero code (what Kubernetes sees).</summary>
internal sealed class AgentkRunState
{
    private volatile string? _failure;

    /// <summary>0 while healthy, 1 once a module died.</summary>
    public int ExitCode => _failure is null ? 0 : 1;

    /// <summary>What failed, or <see langword="null"/>.</summary>
    public string? Failure => _failure;

    public void Fail(string reason) => _failure ??= reason;
}
