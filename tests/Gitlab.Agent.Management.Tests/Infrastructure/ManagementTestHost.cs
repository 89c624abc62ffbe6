using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.Protocol.KasCfg;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.TestUtilities.Git;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Management.Tests.Infrastructure;

/// <summary>A real KAS with <c>AddManagement()</c> on Kestrel (every listener on 127.0.0.1:0), SQLite registry and bare repositories in a temp directory.</summary>
public sealed class ManagementTestHost : IAsyncDisposable
{
    private readonly List<GrpcChannel> _channels = [];
    private readonly List<HttpClient> _clients = [];

    private ManagementTestHost(TempDirectory directory, WebApplication app)
    {
        Directory = directory;
        App = app;
    }

    public TempDirectory Directory { get; }

    public WebApplication App { get; }

    public IKasAddresses Addresses => App.Services.GetRequiredService<IKasAddresses>();

    public IAgentRegistry Registry => App.Services.GetRequiredService<IAgentRegistry>();

    public IUserStore Users => App.Services.GetRequiredService<IUserStore>();

    public Uri ApiAddress => Addresses.Api;

    public static async Task<ManagementTestHost> StartAsync(Action<IKasBuilder, TempDirectory>? configure = null, Action<Gitlab.Agent.Management.ManagementOptions>? options = null)
    {
        var directory = new TempDirectory("management");
        var configuration = new ConfigurationFile
        {
            Agent = new AgentCF
            {
                Listen = new AgentListenCF { Address = "127.0.0.1:0" },
                Configuration = new AgentConfigurationCF { PollPeriod = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) },
            },
            Api = new ApiCF { Listen = new ListenCF { Address = "127.0.0.1:0" } },
            Observability = new ObservabilityCF { Listen = new ListenCF { Address = "127.0.0.1:0" } },
            Repositories = new RepositoriesCF { Directory = directory.Combine("repositories"), PollPeriod = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) },
            Registry = new RegistryCF { Sqlite = new SqliteCF { Path = directory.Combine("kas.db") } },
        };
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = directory.Path });
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Warning);
        var kas = builder.Services.AddKas(o => o.Configuration = configuration);
        kas.AddManagement(options);
        configure?.Invoke(kas, directory);
        var app = builder.Build();
        app.MapKas();
        await app.StartAsync();
        return new ManagementTestHost(directory, app);
    }

    /// <summary>Creates the project's bare repository with one commit, so the project exists.</summary>
    public async Task<GitTestRepository> CreateProjectAsync(string projectPath, string file = "README.md", string content = "hello\n")
    {
        var repo = await GitTestRepository.CreateBareAsync(Path.Combine(Directory.Combine("repositories"), projectPath + ".git"), "main");
        await repo.CommitFileAsync(file, content);
        return repo;
    }

    /// <summary>Creates a user with <paramref name="role"/> on <paramref name="target"/> and returns a PAT secret.</summary>
    public async Task<string> CreateUserAsync(string username, MembershipTarget? target, AccessLevel role, params string[] scopes)
    {
        await Users.CreateUserAsync(username);
        if (target is { } t)
        {
            await Users.SetMembershipAsync(username, t, role);
        }

        var token = await Users.CreatePersonalAccessTokenAsync(username, "test", scopes.Length == 0 ? ["api"] : scopes);
        return token.Secret;
    }

    public HttpClient Http(string? token = null)
    {
        var client = new HttpClient { BaseAddress = ApiAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        _clients.Add(client);
        return client;
    }

    /// <summary>Posts a GraphQL document and returns the status code and the parsed body.</summary>
    public async Task<(System.Net.HttpStatusCode Status, JsonObject Body)> GraphqlAsync(string? token, string query, object? variables = null)
    {
        using var response = await Http(token).PostAsJsonAsync("/api/graphql", new { query, variables });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        return (response.StatusCode, body);
    }

    /// <summary>A gRPC channel to the agent listener authenticated with an agent token.</summary>
    public GrpcChannel AgentChannel(string agentToken)
    {
        var address = new UriBuilder(Addresses.Agent) { Scheme = "http" }.Uri;
        var credentials = CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", "Bearer " + agentToken);
            return Task.CompletedTask;
        });
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, credentials),
            UnsafeUseInsecureChannelCallCredentials = true,
        });
        _channels.Add(channel);
        return channel;
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
