using System.Net;
using System.Text.Json.Nodes;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.Management.Tests.Infrastructure;
using Gitlab.Agent.Protocol.AgentConfiguration;
using Gitlab.Agent.Protocol.Entity;
using Gitlab.Agent.TestUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Management.Tests.Graphql;

public sealed class GraphqlApiTests : IAsyncLifetime
{
    private const string CreateAgent = "mutation($p: ID!, $n: String!) { createClusterAgent(input: {projectPath: $p, name: $n}) { clusterAgent { id name } errors } }";
    private const string CreateToken = "mutation($a: ClustersAgentID!, $n: String!) { clusterAgentTokenCreate(input: {clusterAgentId: $a, description: \"d\", name: $n}) { secret token { createdAt id } errors } }";
    private const string ProjectQuery = """
        query($p: ID!) { project(fullPath: $p) { fullPath clusterAgents { nodes { id name createdAt
          tokens { nodes { id name createdAt lastUsedAt status } }
          connections { nodes { connectedAt connectionId metadata { version commit podNamespace podName } } }
          activityEvents { nodes { kind recordedAt } } } } } }
        """;

    private ManagementTestHost _host = null!;
    private string _maintainer = null!;

    public async Task InitializeAsync()
    {
        _host = await ManagementTestHost.StartAsync();
        _maintainer = await _host.CreateUserAsync("maintainer", MembershipTarget.Group("group"), AccessLevel.Maintainer);
        (await _host.CreateProjectAsync("group/project")).Dispose();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static JsonNode Data(JsonObject body, string field)
    {
        Assert.Null(body["errors"]);
        return body["data"]![field]!;
    }

    private async Task<(string Id, long Number)> CreateAgentAsync(string name, string project = "group/project")
    {
        var (status, body) = await _host.GraphqlAsync(_maintainer, CreateAgent, new { p = project, n = name });
        Assert.Equal(HttpStatusCode.OK, status);
        var payload = Data(body, "createClusterAgent");
        Assert.Empty(payload["errors"]!.AsArray());
        var id = payload["clusterAgent"]!["id"]!.GetValue<string>();
        return (id, long.Parse(id[(id.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task CreateClusterAgent_returns_the_agent_with_a_gitlab_global_id()
    {
        var (status, body) = await _host.GraphqlAsync(_maintainer, CreateAgent, new { p = "group/project", n = "my-agent" });

        Assert.Equal(HttpStatusCode.OK, status);
        var payload = Data(body, "createClusterAgent");
        Assert.Empty(payload["errors"]!.AsArray());
        Assert.Equal("my-agent", payload["clusterAgent"]!["name"]!.GetValue<string>());
        var agent = Assert.Single(await _host.Registry.ListAgentsAsync("group/project"));
        Assert.Equal($"gid://gitlab/Clusters::Agent/{agent.Id}", payload["clusterAgent"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Token_create_returns_the_secret_once_and_it_authenticates_the_agent()
    {
        var (agentGid, agentId) = await CreateAgentAsync("agent1");

        var (_, body) = await _host.GraphqlAsync(_maintainer, CreateToken, new { a = agentGid, n = "first" });

        var payload = Data(body, "clusterAgentTokenCreate");
        Assert.Empty(payload["errors"]!.AsArray());
        var secret = payload["secret"]!.GetValue<string>();
        Assert.StartsWith("glagent-", secret);
        var token = Assert.Single(await _host.Registry.ListTokensAsync(agentId));
        Assert.Equal($"gid://gitlab/Clusters::AgentToken/{token.Id}", payload["token"]!["id"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", payload["token"]!["createdAt"]!.GetValue<string>());
        var identity = await _host.App.Services.GetRequiredService<IAgentAuthenticator>().AuthenticateAsync(secret);
        Assert.Equal(agentId, identity!.AgentId);

        // The secret is never readable again.
        var (_, query) = await _host.GraphqlAsync(_maintainer, ProjectQuery, new { p = "group/project" });
        Assert.DoesNotContain(secret, query.ToJsonString());
    }

    [Fact]
    public async Task Project_query_lists_agents_tokens_live_connections_and_activity()
    {
        var (agentGid, agentId) = await CreateAgentAsync("agent1");
        var (_, created) = await _host.GraphqlAsync(_maintainer, CreateToken, new { a = agentGid, n = "first" });
        var secret = Data(created, "clusterAgentTokenCreate")["secret"]!.GetValue<string>();

        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var client = new AgentConfiguration.AgentConfigurationClient(_host.AgentChannel(secret));
        using var call = client.GetConfiguration(new ConfigurationRequest
        {
            AgentMeta = new AgentMeta { Version = "v17.1.0", CommitId = "abc123", PodNamespace = "gitlab-agent", PodName = "agentk-0" },
        }, cancellationToken: cts.Token);
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        await Eventually.TrueAsync(async () => (await _host.Registry.ListConnectionsAsync(agentId)).Count == 1, "the connection is recorded");

        var (status, body) = await _host.GraphqlAsync(_maintainer, ProjectQuery, new { p = "group/project" });

        Assert.Equal(HttpStatusCode.OK, status);
        var project = Data(body, "project");
        Assert.Equal("group/project", project["fullPath"]!.GetValue<string>());
        var agent = Assert.Single(project["clusterAgents"]!["nodes"]!.AsArray())!;
        Assert.Equal(agentGid, agent["id"]!.GetValue<string>());
        var token = Assert.Single(agent["tokens"]!["nodes"]!.AsArray())!;
        Assert.Equal("ACTIVE", token["status"]!.GetValue<string>());
        Assert.NotNull(token["lastUsedAt"]);
        var connection = Assert.Single(agent["connections"]!["nodes"]!.AsArray())!;
        Assert.Equal("v17.1.0", connection["metadata"]!["version"]!.GetValue<string>());
        Assert.Equal("abc123", connection["metadata"]!["commit"]!.GetValue<string>());
        Assert.Equal("gitlab-agent", connection["metadata"]!["podNamespace"]!.GetValue<string>());
        Assert.Equal("agentk-0", connection["metadata"]!["podName"]!.GetValue<string>());
        Assert.Equal((await _host.Registry.ListConnectionsAsync(agentId))[0].ConnectionId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            connection["connectionId"]!.GetValue<string>());
        var kinds = agent["activityEvents"]!["nodes"]!.AsArray().Select(e => e!["kind"]!.GetValue<string>()).ToList();
        Assert.Contains("token_created", kinds);
        Assert.Contains("agent_connected", kinds);
    }

    [Fact]
    public async Task Bad_input_is_reported_in_the_payload_errors()
    {
        await CreateAgentAsync("taken");

        var unknown = Data((await _host.GraphqlAsync(_maintainer, CreateAgent, new { p = "group/nope", n = "a" })).Body, "createClusterAgent");
        Assert.Contains("project 'group/nope' does not exist", unknown["errors"]![0]!.GetValue<string>());
        Assert.Null(unknown["clusterAgent"]);

        var duplicate = Data((await _host.GraphqlAsync(_maintainer, CreateAgent, new { p = "group/project", n = "taken" })).Body, "createClusterAgent");
        Assert.Contains("agent 'taken' already exists", duplicate["errors"]![0]!.GetValue<string>());

        var invalid = Data((await _host.GraphqlAsync(_maintainer, CreateAgent, new { p = "group/project", n = "Bad_Name" })).Body, "createClusterAgent");
        Assert.Contains("Invalid agent name \"Bad_Name\"", invalid["errors"]![0]!.GetValue<string>());

        var badGid = Data((await _host.GraphqlAsync(_maintainer, CreateToken, new { a = "gid://gitlab/Project/1", n = "t" })).Body, "clusterAgentTokenCreate");
        Assert.Contains("'gid://gitlab/Project/1' is not a valid Clusters::Agent global id", badGid["errors"]![0]!.GetValue<string>());
        Assert.Null(badGid["secret"]);

        var badTokenGid = Data((await _host.GraphqlAsync(_maintainer,
            "mutation { clusterAgentTokenRevoke(input: {id: \"gid://gitlab/Clusters::AgentToken/x\"}) { errors } }")).Body, "clusterAgentTokenRevoke");
        Assert.Contains("is not a valid Clusters::AgentToken global id", badTokenGid["errors"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_third_active_token_is_refused_until_one_is_revoked()
    {
        var (agentGid, agentId) = await CreateAgentAsync("agent1");
        var first = Data((await _host.GraphqlAsync(_maintainer, CreateToken, new { a = agentGid, n = "one" })).Body, "clusterAgentTokenCreate");
        Data((await _host.GraphqlAsync(_maintainer, CreateToken, new { a = agentGid, n = "two" })).Body, "clusterAgentTokenCreate");

        var third = Data((await _host.GraphqlAsync(_maintainer, CreateToken, new { a = agentGid, n = "three" })).Body, "clusterAgentTokenCreate");
        Assert.Contains("already has 2 active tokens", third["errors"]![0]!.GetValue<string>());
        Assert.Null(third["secret"]);

        var firstId = first["token"]!["id"]!.GetValue<string>();
        var revoke = Data((await _host.GraphqlAsync(_maintainer,
            "mutation($id: ClustersAgentTokenID!) { clusterAgentTokenRevoke(input: {id: $id}) { errors } }", new { id = firstId })).Body, "clusterAgentTokenRevoke");
        Assert.Empty(revoke["errors"]!.AsArray());
        Assert.Null(await _host.App.Services.GetRequiredService<IAgentAuthenticator>().AuthenticateAsync(first["secret"]!.GetValue<string>()));

        var again = Data((await _host.GraphqlAsync(_maintainer, CreateToken, new { a = agentGid, n = "three" })).Body, "clusterAgentTokenCreate");
        Assert.Empty(again["errors"]!.AsArray());
        var statuses = (await _host.Registry.ListTokensAsync(agentId)).Select(t => (t.Name, t.IsActive)).ToList();
        Assert.Equal([("one", false), ("two", true), ("three", true)], statuses);
    }

    [Fact]
    public async Task Token_delete_and_agent_delete_remove_the_objects()
    {
        var (agentGid, agentId) = await CreateAgentAsync("agent1");
        var token = Data((await _host.GraphqlAsync(_maintainer, CreateToken, new { a = agentGid, n = "one" })).Body, "clusterAgentTokenCreate");

        var deleteToken = Data((await _host.GraphqlAsync(_maintainer,
            "mutation($id: ClustersAgentTokenID!) { clusterAgentTokenDelete(input: {id: $id}) { errors } }", new { id = token["token"]!["id"]!.GetValue<string>() })).Body,
            "clusterAgentTokenDelete");
        Assert.Empty(deleteToken["errors"]!.AsArray());
        Assert.Empty(await _host.Registry.ListTokensAsync(agentId));

        var deleteAgent = Data((await _host.GraphqlAsync(_maintainer,
            "mutation($id: ClustersAgentID!) { clusterAgentDelete(input: {id: $id}) { errors } }", new { id = agentGid })).Body, "clusterAgentDelete");
        Assert.Empty(deleteAgent["errors"]!.AsArray());
        Assert.Null(await _host.Registry.GetAgentAsync(agentId));

        // Deleting again: the agent no longer exists, answered like a missing permission.
        var (_, gone) = await _host.GraphqlAsync(_maintainer, "mutation($id: ClustersAgentID!) { clusterAgentDelete(input: {id: $id}) { errors } }", new { id = agentGid });
        Assert.Contains("does not exist or you don't have permission", gone["errors"]![0]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Developers_may_read_but_not_create_and_reporters_see_nothing()
    {
        var (agentGid, _) = await CreateAgentAsync("agent1");
        var developer = await _host.CreateUserAsync("dev", MembershipTarget.Project("group/project"), AccessLevel.Developer);
        var reporter = await _host.CreateUserAsync("rep", MembershipTarget.Group("group"), AccessLevel.Reporter);

        var read = Data((await _host.GraphqlAsync(developer, ProjectQuery, new { p = "group/project" })).Body, "project");
        Assert.Single(read["clusterAgents"]!["nodes"]!.AsArray());

        var (status, denied) = await _host.GraphqlAsync(developer, CreateAgent, new { p = "group/project", n = "other" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(denied["data"]!["createClusterAgent"]);
        Assert.Equal("The resource that you are attempting to access does not exist or you don't have permission to perform this action",
            denied["errors"]![0]!["message"]!.GetValue<string>());
        Assert.Equal("FORBIDDEN", denied["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
        var (_, tokenDenied) = await _host.GraphqlAsync(developer, CreateToken, new { a = agentGid, n = "x" });
        Assert.Contains("you don't have permission", tokenDenied["errors"]![0]!["message"]!.GetValue<string>());
        Assert.Single(await _host.Registry.ListAgentsAsync("group/project"));

        var (_, reporterRead) = await _host.GraphqlAsync(reporter, ProjectQuery, new { p = "group/project" });
        Assert.Null(reporterRead["errors"]);
        Assert.Null(reporterRead["data"]!["project"]);
    }

    [Fact]
    public async Task Group_maintainers_manage_agents_of_sub_group_projects()
    {
        (await _host.CreateProjectAsync("group/sub/deep")).Dispose();

        var (agentGid, _) = await CreateAgentAsync("deep-agent", "group/sub/deep");

        Assert.StartsWith("gid://gitlab/Clusters::Agent/", agentGid);
        Assert.Single(await _host.Registry.ListAgentsAsync("group/sub/deep"));
    }

    [Fact]
    public async Task Missing_invalid_and_under_scoped_tokens_are_refused()
    {
        var (noToken, noTokenBody) = await _host.GraphqlAsync(null, ProjectQuery, new { p = "group/project" });
        Assert.Equal(HttpStatusCode.Unauthorized, noToken);
        Assert.Contains("Authentication required", noTokenBody["errors"]![0]!["message"]!.GetValue<string>());

        var (invalid, invalidBody) = await _host.GraphqlAsync("glpat-wrong", ProjectQuery, new { p = "group/project" });
        Assert.Equal(HttpStatusCode.Unauthorized, invalid);
        Assert.Contains("Invalid token", invalidBody["errors"]![0]!["message"]!.GetValue<string>());

        var proxyOnly = await _host.CreateUserAsync("proxy", MembershipTarget.Group("group"), AccessLevel.Owner, "k8s_proxy");
        var (scope, _) = await _host.GraphqlAsync(proxyOnly, ProjectQuery, new { p = "group/project" });
        Assert.Equal(HttpStatusCode.Forbidden, scope);

        var reader = await _host.CreateUserAsync("reader", MembershipTarget.Group("group"), AccessLevel.Owner, "read_api");
        var read = Data((await _host.GraphqlAsync(reader, ProjectQuery, new { p = "group/project" })).Body, "project");
        Assert.Equal("group/project", read["fullPath"]!.GetValue<string>());
        var (_, write) = await _host.GraphqlAsync(reader, CreateAgent, new { p = "group/project", n = "x" });
        Assert.Contains("insufficient_scope", write["errors"]![0]!["message"]!.GetValue<string>());

        var revoked = await _host.Users.CreatePersonalAccessTokenAsync("maintainer", "short-lived", ["api"]);
        await _host.Users.RevokePersonalAccessTokenAsync(revoked.Token.Id);
        var (afterRevoke, _) = await _host.GraphqlAsync(revoked.Secret, ProjectQuery, new { p = "group/project" });
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevoke);
    }

    [Fact]
    public async Task Malformed_requests_get_400_not_500()
    {
        using var http = _host.Http(_maintainer);
        using var notJson = await http.PostAsync("/api/graphql", new StringContent("{nope", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);

        var (syntax, syntaxBody) = await _host.GraphqlAsync(_maintainer, "query { project(fullPath: ");
        Assert.Equal(HttpStatusCode.BadRequest, syntax);
        Assert.NotEmpty(syntaxBody["errors"]!.AsArray());

        var (unknownField, unknownBody) = await _host.GraphqlAsync(_maintainer, "query { nope }");
        Assert.Equal(HttpStatusCode.BadRequest, unknownField);
        Assert.Contains("nope", unknownBody["errors"]![0]!["message"]!.GetValue<string>());

        var (missingInput, _) = await _host.GraphqlAsync(_maintainer, "mutation { createClusterAgent(input: {name: \"x\"}) { errors } }");
        Assert.Equal(HttpStatusCode.BadRequest, missingInput);
    }

    [Fact]
    public async Task Current_user_is_the_token_owner()
    {
        var me = Data((await _host.GraphqlAsync(_maintainer, "{ currentUser { username } }")).Body, "currentUser");
        Assert.Equal("maintainer", me["username"]!.GetValue<string>());
    }
}
