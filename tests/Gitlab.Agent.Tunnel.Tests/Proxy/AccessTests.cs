using System.Text.Json.Nodes;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.Tunnel.Server.Access;
using Gitlab.Agent.Tunnel.Tests.Infrastructure;
using k8s;
using k8s.Models;

namespace Gitlab.Agent.Tunnel.Tests.Proxy;

/// <summary>Who may use the proxy (ci_access, user_access, tokens) and as whom the agent acts (access_as).</summary>
public sealed class AccessTests
{
    private const string Config = """
        ci_access:
          projects:
          - id: group/app
            access_as:
              ci_job: {}
          - id: group/plain
          groups:
          - id: deploy-group
            access_as:
              impersonate:
                username: deployer
                groups: [deployers]
                extra:
                - key: team
                  val: [blue]
          - id: envs
            environments: ["production", "review/*"]
        user_access:
          access_as:
            user: {}
          projects:
          - id: group/app
        """;

    /// <summary>
    /// Posts a SelfSubjectReview as JSON (what <c>kubectl auth whoami</c> does; the test cluster does not decode its
    /// protobuf form) and returns the user the cluster saw.
    /// </summary>
    internal static async Task<JsonObject> WhoAmIAsync(string kubeconfig, params string[] extra)
    {
        var body = Path.Combine(Path.GetDirectoryName(kubeconfig)!, "selfsubjectreview.json");
        await File.WriteAllTextAsync(body, "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}");
        var result = await Kubectl.RunAsync(kubeconfig, ["create", "--raw", "/k8s-proxy/apis/authentication.k8s.io/v1/selfsubjectreviews", "-f", body, .. extra]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return (JsonObject)JsonNode.Parse(result.Stdout)!["status"]!["userInfo"]!;
    }

    public static TheoryData<KasTransport> Transports => KubectlThroughKasTests.Transports;

    internal static List<string> Strings(JsonNode? node) => node is JsonArray a ? a.Select(x => x!.GetValue<string>()).ToList() : [];

    [Fact]
    public async Task Ci_job_impersonation_reaches_the_cluster_as_the_job()
    {
        await using var env = await ProxyEnvironment.StartAsync(KasTransport.Grpc, Config);
        var job = ProxyEnvironment.Job(environment: new CiJobEnvironment("production", "production-x1", "production"));
        var (kubeconfig, _) = await env.JobKubeconfigAsync(job);

        var user = await WhoAmIAsync(kubeconfig);

        Assert.Equal("gitlab:ci_job:1001", user["username"]!.GetValue<string>());
        Assert.Equal(
            ["gitlab:ci_job", "gitlab:group:1", "gitlab:group_env_tier:1:production", "gitlab:project:100", "gitlab:project_env:100:production-x1", "gitlab:project_env_tier:100:production", "system:authenticated"],
            Strings(user["groups"]));
        var extra = (JsonObject)user["extra"]!;
        Assert.Equal(["42"], Strings(extra["agent.gitlab.com/id"]));
        Assert.Equal(["7"], Strings(extra["agent.gitlab.com/config_project_id"]));
        Assert.Equal(["100"], Strings(extra["agent.gitlab.com/project_id"]));
        Assert.Equal(["5001"], Strings(extra["agent.gitlab.com/ci_pipeline_id"]));
        Assert.Equal(["1001"], Strings(extra["agent.gitlab.com/ci_job_id"]));
        Assert.Equal(["alice"], Strings(extra["agent.gitlab.com/username"]));
        Assert.Equal(["production-x1"], Strings(extra["agent.gitlab.com/environment_slug"]));
        Assert.Equal(["production"], Strings(extra["agent.gitlab.com/environment_tier"]));
    }

    [Fact]
    public async Task Impersonate_uses_the_fixed_identity_from_the_configuration()
    {
        await using var env = await ProxyEnvironment.StartAsync(KasTransport.Grpc, Config);
        var job = new CiJob(2002, 6002, new ProjectRef(300, "deploy-group/service"), [new GroupRef(30, "deploy-group")], null, 9, "alice");
        var (kubeconfig, _) = await env.JobKubeconfigAsync(job);

        var user = await WhoAmIAsync(kubeconfig);

        Assert.Equal("deployer", user["username"]!.GetValue<string>());
        Assert.Contains("deployers", Strings(user["groups"]));
        Assert.Equal(["blue"], Strings(((JsonObject)user["extra"]!)["team"]));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Ci_job_impersonation_lets_the_cluster_rbac_decide(KasTransport transport)
    {
        await using var env = await ProxyEnvironment.StartAsync(transport, Config, rbac: true);
        using (var admin = env.Cluster.CreateClient())
        {
            // What a real cluster bootstraps as system:discovery, so kubectl may read the API groups.
            await admin.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
            {
                Metadata = new V1ObjectMeta { Name = "discovery" },
                Rules = [new V1PolicyRule { NonResourceURLs = ["/api", "/api/*", "/apis", "/apis/*", "/version"], Verbs = ["get"] }],
            });
            await admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
            {
                Metadata = new V1ObjectMeta { Name = "discovery" },
                RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "discovery" },
                Subjects = [new Rbacv1Subject { ApiGroup = "rbac.authorization.k8s.io", Kind = "Group", Name = "system:authenticated" }],
            });
            await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "apps" } });
            await admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" } }, "apps");
            await admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
            {
                Metadata = new V1ObjectMeta { Name = "configmap-reader" },
                Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], Verbs = ["get", "list"] }],
            }, "apps");
            // Granted to the job's project group, which only the ci_job impersonation carries.
            await admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
            {
                Metadata = new V1ObjectMeta { Name = "app-project-reads-configmaps" },
                RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "configmap-reader" },
                Subjects = [new Rbacv1Subject { ApiGroup = "rbac.authorization.k8s.io", Kind = "Group", Name = "gitlab:project:100" }],
            }, "apps");
        }

        var (kubeconfig, _) = await env.JobKubeconfigAsync();

        var allowed = await Kubectl.RunAsync(kubeconfig, ["get", "configmaps", "-n", "apps", "-o", "name"]);
        Assert.True(allowed.ExitCode == 0, allowed + "\n" + env.Logs);
        Assert.Contains("configmap/settings", allowed.Stdout, StringComparison.Ordinal);

        var deniedVerb = await Kubectl.RunAsync(kubeconfig, ["delete", "configmap", "settings", "-n", "apps"]);
        Assert.NotEqual(0, deniedVerb.ExitCode);
        Assert.True(deniedVerb.Stderr.Contains("User \"gitlab:ci_job:1001\" cannot delete resource \"configmaps\"", StringComparison.Ordinal), deniedVerb.ToString());

        var deniedNamespace = await Kubectl.RunAsync(kubeconfig, ["get", "configmaps", "-n", "default"]);
        Assert.NotEqual(0, deniedNamespace.ExitCode);
        Assert.Contains("Forbidden", deniedNamespace.Stderr, StringComparison.Ordinal);

        // A project without the group binding is refused by the same cluster RBAC.
        var (other, _) = await env.JobKubeconfigAsync(ProxyEnvironment.Job(jobId: 1002, projectPath: "group/app", projectId: 999));
        var otherProject = await Kubectl.RunAsync(other, ["get", "configmaps", "-n", "apps"]);
        Assert.NotEqual(0, otherProject.ExitCode);
        Assert.True(otherProject.Stderr.Contains("User \"gitlab:ci_job:1002\" cannot list resource \"configmaps\"", StringComparison.Ordinal), otherProject.ToString());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Access_as_agent_lets_the_client_impersonate_and_ci_job_refuses_nested_impersonation(KasTransport transport)
    {
        await using var env = await ProxyEnvironment.StartAsync(transport, Config);
        var (plain, _) = await env.JobKubeconfigAsync(ProxyEnvironment.Job(projectPath: "group/plain", projectId: 101));
        var (ciJob, _) = await env.JobKubeconfigAsync();

        var asAgent = await WhoAmIAsync(plain);
        Assert.Equal("kubernetes-admin", asAgent["username"]!.GetValue<string>());
        var asBob = await WhoAmIAsync(plain, "--as", "bob", "--as-group", "readers");
        Assert.Equal("bob", asBob["username"]!.GetValue<string>());
        Assert.Contains("readers", Strings(asBob["groups"]));

        var nested = await Kubectl.RunAsync(ciJob, ["get", "--raw", "/k8s-proxy/api/v1/namespaces", "--as", "bob", "-v=6"]);
        Assert.NotEqual(0, nested.ExitCode);
        Assert.True(nested.Stderr.Contains("nested impersonation is not supported", StringComparison.Ordinal), nested.ToString());
        Assert.Contains("400 Bad Request", nested.Stderr, StringComparison.Ordinal);
        var nestedGet = await Kubectl.RunAsync(ciJob, ["get", "pods", "--as", "bob"]);
        Assert.NotEqual(0, nestedGet.ExitCode);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Unauthorized_project_is_forbidden_and_unknown_or_revoked_tokens_are_unauthorized(KasTransport transport)
    {
        await using var env = await ProxyEnvironment.StartAsync(transport, Config);
        var stranger = await env.JobTokens.IssueAsync(ProxyEnvironment.Job(projectPath: "elsewhere/app", projectId: 500));
        var strangerConfig = env.KubeconfigWithToken($"ci:{ProxyEnvironment.AgentId}:{stranger.Token}");
        var forbidden = await Kubectl.RunAsync(strangerConfig, ["get", "--raw", "/k8s-proxy/api/v1/namespaces"]);
        Assert.NotEqual(0, forbidden.ExitCode);
        Assert.Contains("Forbidden", forbidden.Stderr, StringComparison.Ordinal);
        Assert.True(forbidden.Stderr.Contains("not allowed for project elsewhere/app", StringComparison.Ordinal), forbidden.ToString());

        var (kubeconfig, token) = await env.JobKubeconfigAsync();
        Assert.Equal(0, (await Kubectl.RunAsync(kubeconfig, ["get", "namespaces"])).ExitCode);
        Assert.True(await env.JobTokens.RevokeAsync(token));
        var revoked = await Kubectl.RunAsync(kubeconfig, ["get", "namespaces"]);
        Assert.NotEqual(0, revoked.ExitCode);
        Assert.Contains("You must be logged in to the server", revoked.Stderr, StringComparison.Ordinal);

        var unknown = await Kubectl.RunAsync(env.KubeconfigWithToken($"ci:{ProxyEnvironment.AgentId}:glcbt-made-up"), ["get", "namespaces"]);
        Assert.Contains("You must be logged in to the server", unknown.Stderr, StringComparison.Ordinal);
        var malformed = await Kubectl.RunAsync(env.KubeconfigWithToken("not-a-kas-token"), ["get", "namespaces"]);
        Assert.Contains("You must be logged in to the server", malformed.Stderr, StringComparison.Ordinal);
        var rawRevoked = await Kubectl.RunAsync(kubeconfig, ["get", "--raw", "/k8s-proxy/api/v1/namespaces"]);
        Assert.True(rawRevoked.Stderr.Contains("invalid, expired or revoked CI job token", StringComparison.Ordinal), rawRevoked.ToString());

        var otherAgent = await env.JobTokens.IssueAsync(ProxyEnvironment.Job());
        var unknownAgent = await Kubectl.RunAsync(env.KubeconfigWithToken($"ci:999:{otherAgent.Token}"), ["get", "namespaces"]);
        Assert.Contains("Forbidden", unknownAgent.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_patterns_limit_group_access()
    {
        await using var env = await ProxyEnvironment.StartAsync(KasTransport.Grpc, Config);
        CiJob JobIn(string environment) => new(3003, 7003, new ProjectRef(400, "envs/site"), [new GroupRef(40, "envs")], new CiJobEnvironment(environment, environment.Replace('/', '-'), "other"), 9, "alice");

        var review = await env.JobTokens.IssueAsync(JobIn("review/feature-1"));
        var staging = await env.JobTokens.IssueAsync(JobIn("staging"));

        Assert.Equal(0, (await Kubectl.RunAsync(env.KubeconfigWithToken($"ci:42:{review.Token}"), ["get", "namespaces"])).ExitCode);
        var refused = await Kubectl.RunAsync(env.KubeconfigWithToken($"ci:42:{staging.Token}"), ["get", "namespaces"]);
        Assert.Contains("Forbidden", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_access_with_personal_access_token_impersonates_the_user()
    {
        await using var env = await ProxyEnvironment.StartAsync(KasTransport.Grpc, Config);
        var (kubeconfig, _) = await env.UserKubeconfigAsync("alice", MembershipTarget.Project("group/app"), AccessLevel.Developer);

        var user = await WhoAmIAsync(kubeconfig);

        Assert.Equal("gitlab:user:alice", user["username"]!.GetValue<string>());
        Assert.Equal(["gitlab:user", "gitlab:project_role:100:guest", "gitlab:project_role:100:reporter", "gitlab:project_role:100:developer", "system:authenticated"], Strings(user["groups"]));
        var extra = (JsonObject)user["extra"]!;
        Assert.Equal(["personal_access_token"], Strings(extra["agent.gitlab.com/access_type"]));
        Assert.Equal(["alice"], Strings(extra["agent.gitlab.com/username"]));

        var reporter = await env.CreateUserTokenAsync("bob", MembershipTarget.Project("group/app"), AccessLevel.Reporter);
        var refused = await Kubectl.RunAsync(env.KubeconfigWithToken($"pat:42:{reporter.Secret}"), ["get", "namespaces"]);
        Assert.Contains("Forbidden", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_access_follows_group_membership_and_refuses_revoked_unscoped_and_unknown_personal_tokens()
    {
        await using var env = await ProxyEnvironment.StartAsync(KasTransport.Grpc, Config);

        // A Maintainer of the group is a Maintainer of group/app below it: allowed, impersonated as the user. The user
        // store knows no group id, so no role groups are added for the inherited role.
        var (kubeconfig, token) = await env.UserKubeconfigAsync("carol", MembershipTarget.Group("group"), AccessLevel.Maintainer);
        var user = await WhoAmIAsync(kubeconfig);
        Assert.Equal("gitlab:user:carol", user["username"]!.GetValue<string>());
        Assert.Equal(["gitlab:user", "system:authenticated"], Strings(user["groups"]));

        // Without the k8s_proxy scope the same user is not authenticated (401), neither for kubectl nor for a kubeconfig.
        var apiOnly = await env.CreateUserTokenAsync("carol", MembershipTarget.Group("group"), AccessLevel.Maintainer, PersonalAccessTokenScopes.Api);
        var unscoped = await Kubectl.RunAsync(env.KubeconfigWithToken($"pat:42:{apiOnly.Secret}"), ["get", "--raw", "/k8s-proxy/api/v1/namespaces"]);
        Assert.NotEqual(0, unscoped.ExitCode);
        Assert.True(unscoped.Stderr.Contains("invalid, expired or revoked personal access token", StringComparison.Ordinal), unscoped.ToString());
        using (var http = new HttpClient { BaseAddress = env.Kas.ApiAddress })
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v4/user/agents/{ProxyEnvironment.AgentId}/kubeconfig"))
        {
            request.Headers.Add("Private-Token", apiOnly.Secret);
            using var response = await http.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        }

        // Revoked in the user store (as `kas tokens revoke-personal` or the UI do): refused at once.
        Assert.Equal(0, (await Kubectl.RunAsync(kubeconfig, ["get", "namespaces"])).ExitCode);
        var carol = (await env.Users.FindUserAsync("carol"))!;
        var tokenId = (await env.Users.ListPersonalAccessTokensAsync(carol.Id)).Single(t => t.HasScope(PersonalAccessTokenScopes.K8sProxy)).Id;
        await env.Users.RevokePersonalAccessTokenAsync(tokenId);
        var revoked = await Kubectl.RunAsync(kubeconfig, ["get", "namespaces"]);
        Assert.NotEqual(0, revoked.ExitCode);
        Assert.Contains("You must be logged in to the server", revoked.Stderr, StringComparison.Ordinal);

        var unknown = await Kubectl.RunAsync(env.KubeconfigWithToken($"pat:42:{token}x"), ["get", "namespaces"]);
        Assert.Contains("You must be logged in to the server", unknown.Stderr, StringComparison.Ordinal);
    }
}
