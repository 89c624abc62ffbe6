using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.Management.Tests.Infrastructure;

namespace Gitlab.Agent.Management.Tests.Graphql;

public sealed class RestApiTests : IAsyncLifetime
{
    private ManagementTestHost _host = null!;
    private string _maintainer = null!;

    public async Task InitializeAsync()
    {
        _host = await ManagementTestHost.StartAsync();
        _maintainer = await _host.CreateUserAsync("maintainer", MembershipTarget.Project("group/project"), AccessLevel.Maintainer);
        (await _host.CreateProjectAsync("group/project")).Dispose();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    [Fact]
    public async Task Agents_and_tokens_round_trip_through_the_rest_mirror()
    {
        var http = _host.Http(_maintainer);
        using var created = await http.PostAsJsonAsync("/api/v4/projects/group%2Fproject/cluster_agents", new { name = "rest-agent" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var agent = await JsonAsync(created);
        var agentId = agent["id"]!.GetValue<long>();
        Assert.Equal("group/project", agent["config_project"]!["path_with_namespace"]!.GetValue<string>());
        var projectId = agent["config_project"]!["id"]!.GetValue<long>();

        // Numeric project ids work too.
        using var list = await http.GetAsync($"/api/v4/projects/{projectId}/cluster_agents");
        Assert.Equal("rest-agent", (await JsonAsync(list))[0]!["name"]!.GetValue<string>());

        using var token = await http.PostAsJsonAsync($"/api/v4/projects/group%2Fproject/cluster_agents/{agentId}/tokens", new { name = "t1", description = "from REST" });
        Assert.Equal(HttpStatusCode.Created, token.StatusCode);
        var tokenJson = await JsonAsync(token);
        Assert.StartsWith("glagent-", tokenJson["token"]!.GetValue<string>());
        Assert.Equal("active", tokenJson["status"]!.GetValue<string>());
        var tokenId = tokenJson["id"]!.GetValue<long>();

        using var revoke = await http.DeleteAsync($"/api/v4/projects/group%2Fproject/cluster_agents/{agentId}/tokens/{tokenId}");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        using var tokens = await http.GetAsync($"/api/v4/projects/group%2Fproject/cluster_agents/{agentId}/tokens");
        Assert.Empty((await JsonAsync(tokens)).AsArray());

        using var delete = await http.DeleteAsync($"/api/v4/projects/group%2Fproject/cluster_agents/{agentId}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Empty(await _host.Registry.ListAgentsAsync("group/project"));
    }

    [Fact]
    public async Task Rest_errors_are_gitlab_style_status_codes()
    {
        using var anonymous = await _host.Http().GetAsync("/api/v4/projects/group%2Fproject/cluster_agents");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var http = _host.Http(_maintainer);
        using var invalid = await http.PostAsJsonAsync("/api/v4/projects/group%2Fproject/cluster_agents", new { name = "Nope!" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("Invalid agent name", (await JsonAsync(invalid))["message"]!.GetValue<string>());

        using var notString = await http.PostAsJsonAsync("/api/v4/projects/group%2Fproject/cluster_agents", new { name = 5 });
        Assert.Equal(HttpStatusCode.BadRequest, notString.StatusCode);

        using var otherProject = await http.GetAsync("/api/v4/projects/other%2Fproject/cluster_agents");
        Assert.Equal(HttpStatusCode.NotFound, otherProject.StatusCode);

        using var missingAgent = await http.GetAsync("/api/v4/projects/group%2Fproject/cluster_agents/999");
        Assert.Equal(HttpStatusCode.NotFound, missingAgent.StatusCode);
    }
}
