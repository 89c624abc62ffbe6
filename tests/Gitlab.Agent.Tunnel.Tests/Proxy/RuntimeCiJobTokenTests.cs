using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.Tunnel.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Tunnel.Tests.Proxy;

/// <summary>
/// <c>POST/DELETE /api/v4/job/tokens</c> on a composed KAS: a CI system with a Developer's personal access token gets a
/// job token, the job reaches the cluster through KAS as itself, and the token dies with the job.
/// </summary>
public sealed class RuntimeCiJobTokenTests
{
    private const string AgentConfig = """
        ci_access:
          projects:
          - id: group/app
            access_as:
              ci_job: {}
        """;

    [Fact]
    public async Task A_ci_system_issues_a_job_token_the_job_runs_kubectl_as_itself_and_revocation_ends_it()
    {
        await using var env = await RuntimeEnvironment.StartAsync(KasTransport.Grpc, AgentConfig);
        var project = await env.Kas.Services.GetRequiredService<IAgentRegistry>().EnsureProjectAsync("group/app");
        var pat = await CreateUserAsync(env, "ci-bot", AccessLevel.Developer, PersonalAccessTokenScopes.Api);
        using var http = new HttpClient { BaseAddress = env.Addresses.Api };

        using var issue = new HttpRequestMessage(HttpMethod.Post, "/api/v4/job/tokens")
        {
            Content = JsonContent.Create(new
            {
                project = "group/app",
                job_id = 42,
                pipeline_id = 7,
                environment = new { name = "production" },
                group_ids = new Dictionary<string, long> { ["group"] = 12 },
            }),
        };
        issue.Headers.Add("PRIVATE-TOKEN", pat);
        using var issued = await http.SendAsync(issue);
        var issuedBody = await issued.Content.ReadAsStringAsync();
        Assert.True(issued.StatusCode == HttpStatusCode.Created, $"{(int)issued.StatusCode} {issuedBody}\n{env.Diagnostics()}");
        var jobToken = JsonNode.Parse(issuedBody)!["token"]!.GetValue<string>();
        Assert.StartsWith("glcbt-", jobToken);

        var kubeconfig = await DownloadJobKubeconfigAsync(http, jobToken);
        Assert.Equal(HttpStatusCode.OK, kubeconfig.Status);
        using var directory = new TempDirectory("job-token");
        var path = directory.Combine("kubeconfig.yaml");
        await File.WriteAllTextAsync(path, kubeconfig.Body);
        Assert.Contains($"{RuntimeEnvironment.ConfigProject}:{RuntimeEnvironment.AgentName}", kubeconfig.Body, StringComparison.Ordinal);

        var user = await AccessTests.WhoAmIAsync(path);
        Assert.Equal("gitlab:ci_job:42", user["username"]!.GetValue<string>());
        var groups = AccessTests.Strings(user["groups"]);
        Assert.Contains("gitlab:ci_job", groups);
        Assert.Contains("gitlab:group:12", groups);
        Assert.Contains("gitlab:group_env_tier:12:production", groups);
        Assert.Contains($"gitlab:project:{project.Id}", groups);
        Assert.Contains($"gitlab:project_env:{project.Id}:production", groups);
        Assert.Contains($"gitlab:project_env_tier:{project.Id}:production", groups);
        Assert.Equal(["ci-bot"], AccessTests.Strings(user["extra"]?["agent.gitlab.com/username"]));

        // The job finished: the CI system drops the token; it no longer opens anything.
        using var revoke = new HttpRequestMessage(HttpMethod.Delete, "/api/v4/job/tokens");
        revoke.Headers.Add("Job-Token", jobToken);
        using var revoked = await http.SendAsync(revoke);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await DownloadJobKubeconfigAsync(http, jobToken)).Status);
        var refused = await Kubectl.RunAsync(path, ["get", "namespaces"]);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.True(refused.Stderr.Contains("You must be logged in to the server", StringComparison.Ordinal), refused.ToString());
    }

    [Fact]
    public async Task Refusals_name_the_missing_right_or_the_bad_field()
    {
        await using var env = await RuntimeEnvironment.StartAsync(KasTransport.Grpc, AgentConfig);
        await env.Kas.Services.GetRequiredService<IAgentRegistry>().EnsureProjectAsync("group/app");
        var developer = await CreateUserAsync(env, "dev", AccessLevel.Developer, PersonalAccessTokenScopes.Api);
        var reporter = await CreateUserAsync(env, "rep", AccessLevel.Reporter, PersonalAccessTokenScopes.Api);
        var proxyOnly = await CreateUserAsync(env, "kube", AccessLevel.Maintainer, PersonalAccessTokenScopes.K8sProxy);
        using var http = new HttpClient { BaseAddress = env.Addresses.Api };
        var valid = new { project = "group/app", job_id = 1 };

        await AssertRefusedAsync(http, null, valid, HttpStatusCode.Unauthorized, "authentication required");
        await AssertRefusedAsync(http, "glpat-unknown", valid, HttpStatusCode.Unauthorized, "unknown, expired or revoked");
        await AssertRefusedAsync(http, proxyOnly, valid, HttpStatusCode.Forbidden, "lacks the 'api' scope");
        await AssertRefusedAsync(http, reporter, valid, HttpStatusCode.Forbidden, "user 'rep' must be at least Developer of 'group/app'");
        await AssertRefusedAsync(http, developer, new { project = "group/missing", job_id = 1 }, HttpStatusCode.NotFound, "project: 'group/missing' is not known to KAS");
        await AssertRefusedAsync(http, developer, new { project = "group/app" }, HttpStatusCode.BadRequest, "job_id: required");
        await AssertRefusedAsync(http, developer, new { project = "group/app", job_id = 1, expires_in = 10 }, HttpStatusCode.BadRequest, "expires_in:");
        await AssertRefusedAsync(http, developer, new { project = "group/app", job_id = 1, environment = new { name = "prod", tier = "moon" } }, HttpStatusCode.BadRequest, "environment.tier: 'moon'");
        await AssertRefusedAsync(http, developer, new { project = "group/app", job_id = 1, group_ids = new { group = "x" } }, HttpStatusCode.BadRequest, "group_ids.group:");

        using var revoke = new HttpRequestMessage(HttpMethod.Delete, "/api/v4/job/tokens");
        revoke.Headers.Add("Job-Token", "glcbt-never-issued");
        using var revoked = await http.SendAsync(revoke);
        Assert.Equal(HttpStatusCode.NotFound, revoked.StatusCode);
    }

    private static async Task<string> CreateUserAsync(RuntimeEnvironment env, string username, AccessLevel level, string scope)
    {
        var users = env.Kas.Services.GetRequiredService<IUserStore>();
        await users.CreateUserAsync(username);
        await users.SetMembershipAsync(username, MembershipTarget.Project("group/app"), level);
        return (await users.CreatePersonalAccessTokenAsync(username, "ci", [scope])).Secret;
    }

    private static async Task AssertRefusedAsync(HttpClient http, string? pat, object body, HttpStatusCode status, string message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v4/job/tokens") { Content = JsonContent.Create(body) };
        if (pat is not null)
        {
            request.Headers.Authorization = new("Bearer", pat);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Contains(message, JsonNode.Parse(text)!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static async Task<(HttpStatusCode Status, string Body)> DownloadJobKubeconfigAsync(HttpClient http, string jobToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v4/job/kubeconfig");
        request.Headers.Add("Job-Token", jobToken);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
