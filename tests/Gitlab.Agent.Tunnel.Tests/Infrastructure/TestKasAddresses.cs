using Gitlab.Agent.Kas;

namespace Gitlab.Agent.Tunnel.Tests.Infrastructure;

internal sealed class TestKasAddresses : IKasAddresses
{
    public Uri Agent { get; set; } = new("grpc://127.0.0.1:1");

    public Uri Api { get; set; } = new("http://127.0.0.1:1");

    public Uri Observability { get; set; } = new("http://127.0.0.1:1");

    public Uri? KubernetesApi { get; set; }

    public Uri? Get(KasListener listener) => listener switch
    {
        KasListener.Agent => Agent,
        KasListener.Api => Api,
        KasListener.KubernetesApi => KubernetesApi,
        _ => Observability,
    };
}

internal sealed class TestKasBuilder(Microsoft.Extensions.DependencyInjection.IServiceCollection services) : IKasBuilder
{
    public Microsoft.Extensions.DependencyInjection.IServiceCollection Services { get; } = services;
}
