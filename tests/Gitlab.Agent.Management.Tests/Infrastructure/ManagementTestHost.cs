using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.TestUtilities.Git;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Management.Tests.Infrastructure;

/// <summary>A <see cref="KasTestHost"/> (real KAS, every listener on 127.0.0.1:0) with <c>AddManagement()</c>, plus users, GraphQL and API clients.</summary>
public sealed class ManagementTestHost : IAsyncDisposable
{
    private ManagementTestHost(KasTestHost kas) => Kas = kas;

    /// <summary>The KAS under the management API.</summary>
    public KasTestHost Kas { get; }

    public TempDirectory Directory => Kas.Directory;

    public WebApplication App => Kas.App;

    public IKasAddresses Addresses => Kas.Addresses;

    public IAgentRegistry Registry => Kas.Registry;

    public IUserStore Users => App.Services.GetRequiredService<IUserStore>();

    public Uri ApiAddress => Addresses.Api;

    public static async Task<ManagementTestHost> StartAsync(Action<IKasBuilder, TempDirectory>? configure = null, Action<ManagementOptions>? options = null)
    {
        var kas = await KasTestHost.StartAsync(
            services: (kas, directory) =>
            {
                kas.AddManagement(options);
                configure?.Invoke(kas, directory);
            },
            logLevel: LogLevel.Warning);
        return new ManagementTestHost(kas);
    }

    /// <summary>Creates the project's bare repository with one commit, so the project exists.</summary>
    public async Task<GitTestRepository> CreateProjectAsync(string projectPath, string file = "README.md", string content = "hello\n")
    {
        var repo = await Kas.CreateRepositoryAsync(projectPath);
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

    /// <summary>A client for the API listener sending <paramref name="token"/> as a bearer token when given.</summary>
    public HttpClient Http(string? token = null)
    {
        var client = Kas.Http(KasListener.Api);
        client.Timeout = TimeSpan.FromSeconds(60);
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

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
    public GrpcChannel AgentChannel(string agentToken) => Kas.Channel(KasListener.Agent, agentToken);

    public ValueTask DisposeAsync() => Kas.DisposeAsync();
}
