using System.Net;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.Tunnel.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Tunnel.Tests.Proxy;

/// <summary>
/// <c>AddKas().AddTunnel()</c> as composed in production: users and personal access tokens of KAS's user store reach
/// the cluster, and a KAS without a Kubernetes API listener runs with the proxy off.
/// </summary>
public sealed class RuntimeUserAccessTests
{
    [Fact]
    public async Task A_user_store_token_with_k8s_proxy_scope_reaches_the_cluster_as_the_user_with_registry_project_ids()
    {
        await using var env = await RuntimeEnvironment.StartAsync(KasTransport.Grpc, $$"""
            user_access:
              access_as:
                user: {}
              projects:
              - id: {{RuntimeEnvironment.ConfigProject}}
            """);
        var users = env.Kas.Services.GetRequiredService<IUserStore>();
        await users.CreateUserAsync("dave");
        await users.SetMembershipAsync("dave", MembershipTarget.Project(RuntimeEnvironment.ConfigProject), AccessLevel.Developer);
        var token = await users.CreatePersonalAccessTokenAsync("dave", "kubectl", [PersonalAccessTokenScopes.K8sProxy]);
        var projectId = (await env.Kas.Services.GetRequiredService<IAgentRegistry>().GetProjectAsync(RuntimeEnvironment.ConfigProject))!.Id;

        using var http = new HttpClient { BaseAddress = env.Addresses.Api };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v4/user/agents/{env.AgentId}/kubeconfig");
        request.Headers.Add("Private-Token", token.Secret);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"kubeconfig download failed: {(int)response.StatusCode} {body}\n{env.Diagnostics()}");
        using var directory = new TempDirectory("runtime-user-access");
        var kubeconfig = directory.Combine("kubeconfig.yaml");
        await File.WriteAllTextAsync(kubeconfig, body);

        var user = await AccessTests.WhoAmIAsync(kubeconfig);

        Assert.Equal("gitlab:user:dave", user["username"]!.GetValue<string>());
        Assert.Equal(
            ["gitlab:user", $"gitlab:project_role:{projectId}:guest", $"gitlab:project_role:{projectId}:reporter", $"gitlab:project_role:{projectId}:developer", "system:authenticated"],
            AccessTests.Strings(user["groups"]));
    }

    [Fact]
    public async Task Without_a_kubernetes_api_listener_kas_runs_with_the_proxy_disabled_and_says_so()
    {
        using var directory = new TempDirectory("runtime-no-proxy");
        var logs = new CapturedLogs();
        await using var app = await KasTestHost.StartApplicationAsync(
            directory,
            KasTestConfiguration.Loopback(directory),
            l => l.AddProvider(logs),
            kas => kas.AddTunnel(o => o.TokenDatabasePath = ":memory:"));
        try
        {
            Assert.Contains(logs.Lines, l => l.Contains("[5310] Kubernetes API proxy disabled: KAS has no agent.kubernetes_api listener", StringComparison.Ordinal));

            using var http = new HttpClient { BaseAddress = app.Services.GetRequiredService<IKasAddresses>().Api };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v4/job/kubeconfig");
            request.Headers.Add("Job-Token", "glcbt-anything");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("the Kubernetes API proxy is disabled", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
