using System.Net;
using Gitlab.Agent.Tunnel.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Tunnel.Tests.Infrastructure;

/// <summary>
/// A KAS-shaped Kestrel host: an agent listener on a loopback port speaking the given transport and, optionally, an
/// HTTPS Kubernetes API proxy listener and an HTTP API listener.
/// </summary>
public sealed class TestKasServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestKasServer(WebApplication app, KasTransport transport, Uri agentAddress, Uri? kubernetesApi, Uri? api)
    {
        _app = app;
        Transport = transport;
        AgentAddress = agentAddress;
        KubernetesApiAddress = kubernetesApi;
        ApiAddress = api;
    }

    public KasTransport Transport { get; }

    /// <summary>Address agentk dials, e.g. <c>wss://127.0.0.1:1234/</c>.</summary>
    public Uri AgentAddress { get; }

    /// <summary>The HTTPS Kubernetes API proxy listener, when requested.</summary>
    public Uri? KubernetesApiAddress { get; }

    /// <summary>The HTTP API listener, when requested.</summary>
    public Uri? ApiAddress { get; }

    public IServiceProvider Services => _app.Services;

    public static Task<TestKasServer> StartAsync(
        KasTransport transport,
        Action<IServiceCollection> configureServices,
        Action<WebApplication> mapEndpoints,
        int port = 0,
        Action<WebApplication>? beforeWebSockets = null) =>
        StartAsync(new TestKasServerOptions
        {
            Transport = transport,
            ConfigureServices = configureServices,
            MapEndpoints = mapEndpoints,
            AgentPort = port,
            BeforeWebSockets = beforeWebSockets,
        });

    public static async Task<TestKasServer> StartAsync(TestKasServerOptions options)
    {
        var transport = options.Transport;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (options.Logs is { } logs)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddGrpc();
        builder.Services.AddWebSocketTunnelTransport();
        var wsEndPoint = new WebSocketTunnelEndPoint();
        var tls = transport is KasTransport.Grpcs or KasTransport.Wss;
        var websocket = transport is KasTransport.Ws or KasTransport.Wss;
        ListenOptions? agentListen = null, k8sListen = null, apiListen = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.Http2.MaxStreamsPerConnection = 1000;
            k.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(50);
            k.Listen(IPAddress.Loopback, options.AgentPort, o =>
            {
                agentListen = o;
                o.Protocols = websocket ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http2;
                if (tls)
                {
                    o.UseHttps(SharedTls.Server);
                }
            });
            if (websocket)
            {
                k.Listen(wsEndPoint, o => o.Protocols = HttpProtocols.Http2);
            }

            if (options.KubernetesApiListener)
            {
                k.Listen(IPAddress.Loopback, options.KubernetesApiPort, o =>
                {
                    k8sListen = o;
                    o.Protocols = HttpProtocols.Http1AndHttp2;
                    o.UseHttps(SharedTls.Server);
                });
            }

            if (options.ApiListener)
            {
                k.Listen(IPAddress.Loopback, 0, o =>
                {
                    apiListen = o;
                    o.Protocols = HttpProtocols.Http1;
                });
            }
        });
        options.ConfigureServices(builder.Services);
        var app = builder.Build();
        options.BeforeWebSockets?.Invoke(app);
        if (websocket)
        {
            app.Use((HttpContext context, RequestDelegate next) =>
                context.Connection.LocalPort == ((IPEndPoint)agentListen!.EndPoint).Port && !WebSocketTunnelEndPoint.IsTunnelled(context)
                    ? wsEndPoint.AcceptAsync(context)
                    : next(context));
        }

        options.MapEndpoints(app);
        await app.StartAsync();
        var agentPort = ((IPEndPoint)agentListen!.EndPoint).Port;
        var k8sPort = k8sListen is null ? 0 : ((IPEndPoint)k8sListen.EndPoint).Port;
        var apiPort = apiListen is null ? 0 : ((IPEndPoint)apiListen.EndPoint).Port;
        var scheme = transport switch
        {
            KasTransport.Grpc => "grpc",
            KasTransport.Grpcs => "grpcs",
            KasTransport.Ws => "ws",
            _ => "wss",
        };
        return new TestKasServer(
            app,
            transport,
            new Uri($"{scheme}://127.0.0.1:{agentPort}/"),
            k8sPort == 0 ? null : new Uri($"https://127.0.0.1:{k8sPort}"),
            apiPort == 0 ? null : new Uri($"http://127.0.0.1:{apiPort}"));
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

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed class TestKasServerOptions
{
    public KasTransport Transport { get; set; }

    public int AgentPort { get; set; }

    public bool KubernetesApiListener { get; set; }

    public int KubernetesApiPort { get; set; }

    public bool ApiListener { get; set; }

    public Action<IServiceCollection> ConfigureServices { get; set; } = _ => { };

    public Action<WebApplication> MapEndpoints { get; set; } = _ => { };

    public Action<WebApplication>? BeforeWebSockets { get; set; }

    public ILoggerProvider? Logs { get; set; }
}
