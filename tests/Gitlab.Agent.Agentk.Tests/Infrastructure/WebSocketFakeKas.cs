using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Agentk.Tests.Infrastructure;

/// <summary>
/// A KAS WebSocket listener for tests: accepts <c>ws-tunnel</c> WebSockets and relays their bytes to a cleartext
/// gRPC <see cref="FakeKas"/>, so gRPC runs inside the WebSocket exactly as with <c>agent.listen.websocket: true</c>.
/// </summary>
public sealed class WebSocketFakeKas : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebSocketFakeKas(WebApplication app, FakeKas grpc, TaskCompletionSource<string?> subProtocol)
    {
        _app = app;
        Grpc = grpc;
        SubProtocol = subProtocol;
    }

    public FakeKas Grpc { get; }

    public int Port { get; private set; }

    public TaskCompletionSource<string?> SubProtocol { get; }

    public static async Task<WebSocketFakeKas> StartAsync()
    {
        var grpc = await FakeKas.StartAsync();
        var subProtocol = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.UseWebSockets();
        app.Run(async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest || !context.WebSockets.WebSocketRequestedProtocols.Contains("ws-tunnel"))
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync("ws-tunnel");
            subProtocol.TrySetResult(socket.SubProtocol);
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, grpc.Port);
            await using var stream = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
            await using var network = tcp.GetStream();
            var up = stream.CopyToAsync(network, context.RequestAborted);
            var down = network.CopyToAsync(stream, context.RequestAborted);
            try
            {
                await Task.WhenAny(up, down);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or WebSocketException)
            {
            }
        });
        await app.StartAsync();
        var fake = new WebSocketFakeKas(app, grpc, subProtocol);
        fake.Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return fake;
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
        await Grpc.DisposeAsync();
    }
}
