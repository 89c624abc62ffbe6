using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Kas;

/// <summary>
/// Builder returned by <c>AddKas()</c>. Feature packages add their server halves through extension methods on it
/// (for example <c>AddGitOps()</c>, <c>AddTunnel()</c>).
/// </summary>
public interface IKasBuilder
{
    /// <summary>The service collection KAS services are registered in.</summary>
    IServiceCollection Services { get; }
}
