using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Agentk;

/// <summary>
/// Builder returned by <c>AddAgentk()</c>. Feature packages add their agent halves through extension methods on it
/// (for example <c>AddGitOps()</c>, <c>AddTunnel()</c>, <c>AddCilium()</c>).
/// </summary>
public interface IAgentkBuilder
{
    /// <summary>The service collection agentk services are registered in.</summary>
    IServiceCollection Services { get; }
}
