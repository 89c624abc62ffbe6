using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Agentk.Hosting;

/// <summary>The <see cref="IAgentkBuilder"/> stored in the service collection so <c>AddAgentk</c> stays idempotent.</summary>
internal sealed class AgentkBuilder(IServiceCollection services) : IAgentkBuilder
{
    public IServiceCollection Services { get; } = services;
}
