using System.Security.Cryptography.X509Certificates;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Protocol.KasCfg;
using Gitlab.Agent.TestUtilities.Git;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.TestUtilities;

/// <summary>
/// A real KAS on Kestrel, every listener on 127.0.0.1 port 0, with a bare-repository directory and a SQLite registry in a temp directory.
/// Feature packages plug in through the <c>services</c> callback of <see cref="StartAsync"/>.
/// </summary>
public sealed class KasTestHost : IAsyncDisposable
{
    private readonly List<GrpcChannel> _channels = [];
    private readonly List<HttpClient> _clients = [];

    private KasTestHost(TempDirectory directory, WebApplication app, CapturedLogs logs, X509Certificate2 certificate)
    {
        Directory = directory;
        App = app;
        Logs = logs;
        Certificate = certificate;
    }

    /// <summary>The self-signed certificate served by the listeners started with TLS.</summary>
    public X509Certificate2 Certificate { get; }

    public TempDirectory Directory { get; }

    public WebApplication App { get; }

    public CapturedLogs Logs { get; }

    public IKasAddresses Addresses => App.Services.GetRequiredService<IKasAddresses>();

    public IAgentRegistry Registry => App.Services.GetRequiredService<IAgentRegistry>();

    public string RepositoriesDirectory => Directory.Combine("repositories");

    /// <summary><see cref="KasTestConfiguration.Loopback"/> with a poll period of one second unless <paramref name="pollPeriod"/> says otherwise.</summary>
    public static ConfigurationFile DefaultConfiguration(TempDirectory directory, TimeSpan? pollPeriod = null) =>
        KasTestConfiguration.Loopback(directory, pollPeriod ?? TimeSpan.FromSeconds(1));

    /// <summary>
    /// Starts KAS; <paramref name="services"/> gets the KAS builder and the host's temp directory, listeners named in
    /// <paramref name="tls"/> get a self-signed certificate and <see cref="Logs"/> captures entries from <paramref name="logLevel"/> up.
    /// </summary>
    public static async Task<KasTestHost> StartAsync(
        Action<ConfigurationFile>? configure = null,
        Action<IKasBuilder, TempDirectory>? services = null,
        TimeSpan? pollPeriod = null,
        KasListener[]? tls = null,
        LogLevel logLevel = LogLevel.Debug)
    {
        var directory = new TempDirectory("kas");
        var configuration = DefaultConfiguration(directory, pollPeriod);
        var (certFile, keyFile, certificate) = TestCertificates.CreatePemFiles(directory.Combine("tls"));
        foreach (var listener in tls ?? [])
        {
            switch (listener)
            {
                case KasListener.Agent:
                    (configuration.Agent.Listen.CertificateFile, configuration.Agent.Listen.KeyFile) = (certFile, keyFile);
                    break;
                case KasListener.Api:
                    (configuration.Api.Listen.CertificateFile, configuration.Api.Listen.KeyFile) = (certFile, keyFile);
                    break;
                case KasListener.Observability:
                    (configuration.Observability.Listen.CertificateFile, configuration.Observability.Listen.KeyFile) = (certFile, keyFile);
                    break;
            }
        }

        configure?.Invoke(configuration);
        var logs = new CapturedLogs();
        var app = await StartApplicationAsync(directory, configuration, l => l.AddProvider(logs).SetMinimumLevel(logLevel), kas => services?.Invoke(kas, directory));
        return new KasTestHost(directory, app, logs, certificate);
    }

    /// <summary>
    /// The bare start-up behind <see cref="StartAsync"/>, for callers that own the directory, restart KAS or keep
    /// their own logs: builds a <see cref="WebApplication"/> rooted at <paramref name="directory"/> with
    /// <c>AddKas</c> (<paramref name="configuration"/>) and <c>MapKas</c>, and starts it. Logging providers are
    /// cleared first; <paramref name="logging"/> adds any wanted. The caller stops and disposes the application.
    /// </summary>
    public static async Task<WebApplication> StartApplicationAsync(
        TempDirectory directory,
        ConfigurationFile configuration,
        Action<ILoggingBuilder>? logging = null,
        Action<IKasBuilder>? services = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = directory.Path });
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        var kas = builder.Services.AddKas(o => o.Configuration = configuration);
        services?.Invoke(kas);
        var app = builder.Build();
        app.MapKas();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }

    /// <summary>Creates the project's bare repository and returns a work tree that pushes to it.</summary>
    public Task<GitTestRepository> CreateRepositoryAsync(string projectPath, string defaultBranch = "main") =>
        GitTestRepository.CreateBareAsync(Path.Combine(RepositoriesDirectory, projectPath + ".git"), defaultBranch);

    /// <summary>Registers agent <paramref name="name"/> in <paramref name="projectPath"/> and returns it with a token secret.</summary>
    public async Task<(AgentInfo Agent, NewAgentToken Token)> CreateAgentAsync(string projectPath, string name)
    {
        var agent = await Registry.CreateAgentAsync(projectPath, name);
        var token = await Registry.CreateTokenAsync(agent.Id, "test");
        return (agent, token);
    }

    /// <summary>A gRPC channel to a listener, sending <paramref name="token"/> as bearer metadata when given.</summary>
    public GrpcChannel Channel(KasListener listener, string? token = null)
    {
        var (http, tls, handler) = Endpoint(listener);
        var options = new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true };
        if (token is not null)
        {
            var credentials = CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", "Bearer " + token);
                return Task.CompletedTask;
            });
            options.Credentials = ChannelCredentials.Create(tls ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure, credentials);
            options.UnsafeUseInsecureChannelCallCredentials = !tls;
        }

        var channel = GrpcChannel.ForAddress(http, options);
        _channels.Add(channel);
        return channel;
    }

    /// <summary>An HTTP client for a listener (HTTP/2 prior knowledge for the agent listener), disposed with the host.</summary>
    public HttpClient Http(KasListener listener)
    {
        var (address, _, handler) = Endpoint(listener);
        var client = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        if (listener == KasListener.Agent)
        {
            client.DefaultRequestVersion = System.Net.HttpVersion.Version20;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        _clients.Add(client);
        return client;
    }

    /// <summary>The listener's address as an http(s) URI and a handler that trusts only <see cref="Certificate"/> when it serves TLS.</summary>
    private (Uri Address, bool Tls, SocketsHttpHandler Handler) Endpoint(KasListener listener)
    {
        var bound = Addresses.Get(listener)!;
        var tls = bound.Scheme is "grpcs" or "https";
        var handler = new SocketsHttpHandler();
        if (tls)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == Certificate.GetCertHashString();
        }

        return (new UriBuilder(bound) { Scheme = tls ? "https" : "http" }.Uri, tls, handler);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await App.StopAsync();
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Dispose();
    }
}
