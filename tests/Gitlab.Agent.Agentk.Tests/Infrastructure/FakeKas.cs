using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Gitlab.Agent.Protocol.AgentConfiguration;
using Gitlab.Agent.Protocol.AgentRegistrar;
using Gitlab.Agent.Protocol.GitlabAccess;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Agentk.Tests.Infrastructure;

/// <summary>A request seen by the fake KAS: the message plus the request headers.</summary>
public sealed record SeenConfigurationRequest(ConfigurationRequest Request, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A real gRPC server on 127.0.0.1 (port chosen at run time) implementing the KAS agent-facing services with
/// behaviour supplied by the test.
/// </summary>
public sealed class FakeKas : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeKas(WebApplication app, FakeKasState state)
    {
        _app = app;
        State = state;
    }

    public FakeKasState State { get; }

    public int Port { get; private set; }

    /// <summary>Starts the server. <paramref name="certificate"/> enables TLS; <paramref name="protocols"/> defaults to HTTP/2 only.</summary>
    public static async Task<FakeKas> StartAsync(
        X509Certificate2? certificate = null,
        HttpProtocols protocols = HttpProtocols.Http2,
        int port = 0,
        Action<WebApplication>? map = null,
        bool registrar = true)
    {
        var state = new FakeKasState();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o =>
        {
            o.Protocols = protocols;
            if (certificate is not null)
            {
                o.UseHttps(certificate);
            }
        }));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(state);
        var app = builder.Build();
        app.MapGrpcService<FakeConfigurationService>();
        app.MapGrpcService<FakeGitlabAccessService>();
        if (registrar)
        {
            app.MapGrpcService<FakeRegistrarService>();
        }

        map?.Invoke(app);
        await app.StartAsync();
        var fake = new FakeKas(app, state);
        fake.Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return fake;
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}

/// <summary>What the test controls and observes.</summary>
public sealed class FakeKasState
{
    /// <summary>Every GetConfiguration request, in arrival order.</summary>
    public Channel<SeenConfigurationRequest> ConfigurationRequests { get; } = Channel.CreateUnbounded<SeenConfigurationRequest>();

    /// <summary>Handles one GetConfiguration call; by default it keeps the stream open until cancelled.</summary>
    public Func<ConfigurationRequest, IServerStreamWriter<ConfigurationResponse>, ServerCallContext, Task> OnGetConfiguration { get; set; } =
        (_, _, context) => Task.Delay(Timeout.Infinite, context.CancellationToken);

    public Channel<RegisterRequest> RegisterRequests { get; } = Channel.CreateUnbounded<RegisterRequest>();

    public Channel<(Gitlab.Agent.Protocol.Grpctool.HttpRequest.Types.Header Header, byte[] Body, int MaxChunk)> GitlabAccessRequests { get; } =
        Channel.CreateUnbounded<(Gitlab.Agent.Protocol.Grpctool.HttpRequest.Types.Header, byte[], int)>();
}

internal sealed class FakeConfigurationService(FakeKasState state) : AgentConfiguration.AgentConfigurationBase
{
    public override async Task GetConfiguration(ConfigurationRequest request, IServerStreamWriter<ConfigurationResponse> responseStream, ServerCallContext context)
    {
        var headers = context.RequestHeaders.GroupBy(h => h.Key).ToDictionary(g => g.Key, g => string.Join(",", g.Select(h => h.Value)));
        var http = context.GetHttpContext().Request.Headers;
        headers["user-agent"] = http.UserAgent.ToString();
        headers["grpc-encoding"] = http["grpc-encoding"].ToString();
        await state.ConfigurationRequests.Writer.WriteAsync(new SeenConfigurationRequest(request, headers));
        try
        {
            await state.OnGetConfiguration(request, responseStream, context);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
        }
    }
}

internal sealed class FakeRegistrarService(FakeKasState state) : AgentRegistrar.AgentRegistrarBase
{
    public override async Task<RegisterResponse> Register(RegisterRequest request, ServerCallContext context)
    {
        await state.RegisterRequests.Writer.WriteAsync(request);
        return new RegisterResponse();
    }
}

internal sealed class FakeGitlabAccessService(FakeKasState state) : GitlabAccess.GitlabAccessBase
{
    public override async Task MakeRequest(
        IAsyncStreamReader<Gitlab.Agent.Protocol.Grpctool.HttpRequest> requestStream,
        IServerStreamWriter<Gitlab.Agent.Protocol.Grpctool.HttpResponse> responseStream,
        ServerCallContext context)
    {
        Gitlab.Agent.Protocol.Grpctool.HttpRequest.Types.Header? header = null;
        using var body = new MemoryStream();
        var maxChunk = 0;
        var trailer = false;
        await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
        {
            switch (message.MessageCase)
            {
                case Gitlab.Agent.Protocol.Grpctool.HttpRequest.MessageOneofCase.Header:
                    header = message.Header;
                    break;
                case Gitlab.Agent.Protocol.Grpctool.HttpRequest.MessageOneofCase.Data:
                    maxChunk = Math.Max(maxChunk, message.Data.Data_.Length);
                    message.Data.Data_.WriteTo(body);
                    break;
                case Gitlab.Agent.Protocol.Grpctool.HttpRequest.MessageOneofCase.Trailer:
                    trailer = true;
                    break;
            }
        }

        if (header is null || !trailer)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "missing header or trailer"));
        }

        await state.GitlabAccessRequests.Writer.WriteAsync((header, body.ToArray(), maxChunk));

        // Answer 201 with the request body reversed, in two data messages.
        var reply = body.ToArray().Reverse().ToArray();
        await responseStream.WriteAsync(new Gitlab.Agent.Protocol.Grpctool.HttpResponse
        {
            Header = new() { Response = new Gitlab.Agent.Protocol.Prototool.HttpResponse { StatusCode = 201, Status = "201 Created" } },
        });
        var half = reply.Length / 2;
        await responseStream.WriteAsync(new Gitlab.Agent.Protocol.Grpctool.HttpResponse { Data = new() { Data_ = Google.Protobuf.ByteString.CopyFrom(reply, 0, half) } });
        await responseStream.WriteAsync(new Gitlab.Agent.Protocol.Grpctool.HttpResponse { Data = new() { Data_ = Google.Protobuf.ByteString.CopyFrom(reply, half, reply.Length - half) } });
        await responseStream.WriteAsync(new Gitlab.Agent.Protocol.Grpctool.HttpResponse { Trailer = new() });
    }
}
