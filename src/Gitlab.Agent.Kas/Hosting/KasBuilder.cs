using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Kas;

/// <summary>The <see cref="IKasBuilder"/> stored in the service collection so that <c>AddKas()</c> is idempotent.</summary>
internal sealed class KasBuilder(IServiceCollection services) : IKasBuilder
{
    public IServiceCollection Services { get; } = services;
}
