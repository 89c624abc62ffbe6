using System.Net;
using Gitlab.Agent.Tunnel.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Tunnel.Tests.Infrastructure;

/// <summary>
/// A KAS-shaped Kestrel host for transport tests: an agent listener on a loopback port speaking the given transport.
/// </summary>
public sealed class TestKasServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestKasServer(WebApplication app, KasTransport transport, Uri agentAddress)
    {
        _app = app;
        Transport = transport;
        AgentAddress = agentAddress;
    }

    public KasTransport Transport { get; }

    /// <summary>Address agentk dials, e.g. <c>wss://127.0.0.1:1234/</c>.</summary>
    public Uri AgentAddress { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<TestKasServer> StartAsync(
        KasTransport transport,
        Action<IServiceCollection> configureServices,
        Action<WebApplication> mapEndpoints,
        int port = 0,
        Action<WebApplication>? beforeWebSockets = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddGrpc();
        builder.Services.AddWebSocketTunnelTransport();
        var wsEndPoint = new WebSocketTunnelEndPoint();
        var tls = transport is KasTransport.Grpcs or KasTransport.Wss;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.Http2.MaxStreamsPerConnection = 1000;
            k.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(50);
            k.Listen(IPAddress.Loopback, port, o =>
            {
                o.Protocols = transport is KasTransport.Ws or KasTransport.Wss ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http2;
                if (tls)
                {
                    o.UseHttps(TestCertificates.Shared.Server);
                }
            });
            if (transport is KasTransport.Ws or KasTransport.Wss)
            {
                k.Listen(wsEndPoint, o => o.Protocols = HttpProtocols.Http2);
            }
        });
        configureServices(builder.Services);
        var app = builder.Build();
        beforeWebSockets?.Invoke(app);
        if (transport is KasTransport.Ws or KasTransport.Wss)
        {
            app.UseWebSockets();
            app.Use((HttpContext context, RequestDelegate next) =>
                !WebSocketTunnelEndPoint.IsTunnelled(context)
                    ? wsEndPoint.AcceptAsync(context)
                    : next(context));
        }

        mapEndpoints(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => Uri.TryCreate(a, UriKind.Absolute, out var u) ? u : null)
            .Single(a => a is not null && IPAddress.TryParse(a.Host, out _))!;
        var scheme = transport switch
        {
            KasTransport.Grpc => "grpc",
            KasTransport.Grpcs => "grpcs",
            KasTransport.Ws => "ws",
            _ => "wss",
        };
        return new TestKasServer(app, transport, new Uri($"{scheme}://127.0.0.1:{address.Port}/"));
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync();
    }
}
