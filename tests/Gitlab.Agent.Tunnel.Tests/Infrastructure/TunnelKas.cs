using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Tunnel.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Tunnel.Tests.Infrastructure;

/// <summary>A test KAS with the reverse tunnel server mapped on its agent listener.</summary>
internal static class TunnelKas
{
    public static Task<TestKasServer> StartAsync(KasTransport transport, TestAgentAuthenticator authenticator, Action<IServiceCollection>? configure = null, int port = 0) =>
        TestKasServer.StartAsync(
            transport,
            services =>
            {
                services.AddSingleton<IAgentAuthenticator>(authenticator);
                services.AddTunnelServerCore();
                configure?.Invoke(services);
            },
            app => app.MapGrpcService<ReverseTunnelService>(),
            port);
}
