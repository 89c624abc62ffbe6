using Gitlab.Agent.Protocol.AgentCfg;

namespace Gitlab.Agent.Agentk.Modules;

/// <summary>
/// The agent half of a feature. agentk runs every registered module for its whole life and feeds it each new
/// agent configuration received from KAS (latest wins: a slow module skips intermediate versions).
/// </summary>
public interface IAgentModule
{
    /// <summary>Module name used in logs and metrics (for example <c>gitops</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Runs the module until <paramref name="cancellationToken"/> is cancelled. <paramref name="configurations"/> yields the
    /// current configuration first and then every change. Returning or throwing stops agentk with an error.
    /// </summary>
    Task RunAsync(IAsyncEnumerable<AgentConfiguration> configurations, CancellationToken cancellationToken);
}
