using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Tests.Infrastructure;

namespace Gitlab.Agent.Testing.Tests.Conformance;

/// <summary>RBAC, impersonation and kubectl auth can-i (protobuf SelfSubjectAccessReview) with RBAC enabled.</summary>
public sealed class KubectlAuthTests
{
    private const string ReaderRbac = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata:
          name: pod-reader
          namespace: team-y
        rules:
        - apiGroups: [""]
          resources: ["pods"]
          verbs: ["get", "list", "watch"]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata:
          name: alice-reads-pods
          namespace: team-y
        subjects:
        - kind: User
          name: alice
          apiGroup: rbac.authorization.k8s.io
        roleRef:
          kind: Role
          name: pod-reader
          apiGroup: rbac.authorization.k8s.io
        """;

    [Fact]
    public async Task Auth_can_i_answers_from_rbac_for_users_and_impersonation()
    {
        await using var cluster = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { EnableRbac = true });
        cluster.AddUser("alice-token", "alice");
        using var admin = new KubectlRunner(cluster.KubeconfigPath);
        (await admin.RunAsync("create", "namespace", "team-y")).ShouldSucceed();

        var adminYes = await admin.RunAsync("auth", "can-i", "create", "deployments", "-n", "team-y");
        Assert.Equal((0, "yes\n"), (adminYes.ExitCode, adminYes.Stdout));

        using var alice = new KubectlRunner(cluster.WriteKubeconfig(Path.Combine(admin.Home, "alice.kubeconfig"), "alice-token", "alice"));
        var denied = await alice.RunAsync("auth", "can-i", "list", "pods", "-n", "team-y");
        Assert.Equal((1, "no\n"), (denied.ExitCode, denied.Stdout));

        (await admin.RunAsync("apply", "-f", admin.WriteFile("rbac.yaml", ReaderRbac))).ShouldSucceed();
        var allowed = await alice.RunAsync("auth", "can-i", "list", "pods", "-n", "team-y");
        Assert.Equal((0, "yes\n"), (allowed.ExitCode, allowed.Stdout));
        var stillDenied = await alice.RunAsync("auth", "can-i", "delete", "pods", "-n", "team-y");
        Assert.Equal((1, "no\n"), (stillDenied.ExitCode, stillDenied.Stdout));

        var asAlice = await admin.RunAsync("auth", "can-i", "list", "pods", "-n", "team-y", "--as", "alice");
        Assert.Equal((0, "yes\n"), (asAlice.ExitCode, asAlice.Stdout));
        var asBob = await admin.RunAsync("auth", "can-i", "list", "pods", "-n", "team-y", "--as", "bob");
        Assert.Equal((1, "no\n"), (asBob.ExitCode, asBob.Stdout));
    }

    [Fact]
    public async Task Impersonated_identity_without_binding_gets_the_exact_forbidden_status()
    {
        await using var cluster = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { EnableRbac = true });
        using var admin = new KubectlRunner(cluster.KubeconfigPath);
        (await admin.RunAsync("create", "namespace", "y")).ShouldSucceed();
        var result = await admin.RunAsync("get", "pods", "-n", "y", "--as", "x");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Error from server (Forbidden): pods is forbidden: User \"x\" cannot list resource \"pods\" in API group \"\" in the namespace \"y\"", result.Stderr, StringComparison.Ordinal);

        using var raw = new RawApi(cluster);
        var (code, body, _) = await raw.SendAsync(HttpMethod.Get, "/apis/apps/v1/namespaces/y/deployments/web", headers: new Dictionary<string, string> { ["Impersonate-User"] = "x", ["Impersonate-Group"] = "ci" });
        Assert.Equal(403, code);
        Assert.Equal("deployments.apps \"web\" is forbidden: User \"x\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"y\"", (string?)body!["message"]);
        Assert.Equal("Forbidden", (string?)body["reason"]);
        Assert.Equal("deployments", (string?)body["details"]!["kind"]);
    }

    [Fact]
    public async Task Attach_needs_create_on_pods_attach()
    {
        await using var cluster = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { EnableRbac = true });
        cluster.AddUser("alice-token", "alice");
        cluster.AttachHandler = (_, session, _) => session.WriteOutputAsync("attached\n").ContinueWith(_ => 0, TaskScheduler.Default);
        using var admin = new KubectlRunner(cluster.KubeconfigPath);
        (await admin.RunAsync("create", "namespace", "team-y")).ShouldSucceed();
        (await admin.RunAsync("apply", "-f", admin.WriteFile("rbac.yaml", ReaderRbac))).ShouldSucceed();
        (await admin.RunAsync("apply", "-f", admin.WriteFile("pod.yaml", Manifests.Pod(ns: "team-y")))).ShouldSucceed();
        await cluster.WaitForRunningPodAsync("web-0", "team-y");

        using var alice = new KubectlRunner(cluster.WriteKubeconfig(Path.Combine(admin.Home, "alice.kubeconfig"), "alice-token", "alice"));
        var denied = await alice.RunAsync("attach", "web-0", "-n", "team-y");
        Assert.NotEqual(0, denied.ExitCode);
        const string Forbidden = "pods \"web-0\" is forbidden: User \"alice\" cannot create resource \"pods/attach\" in API group \"\" in the namespace \"team-y\"";
        Assert.True(denied.Stderr.Contains(Forbidden, StringComparison.Ordinal), denied.Stderr);
        Assert.Equal(string.Empty, denied.Stdout);

        (await admin.RunAsync("create", "role", "pod-attacher", "-n", "team-y", "--verb=create", "--resource=pods/attach")).ShouldSucceed();
        (await admin.RunAsync("create", "rolebinding", "alice-attaches", "-n", "team-y", "--role=pod-attacher", "--user=alice")).ShouldSucceed();
        var allowed = (await alice.RunAsync("attach", "web-0", "-n", "team-y")).ShouldSucceed();
        Assert.Equal("attached\n", allowed.Stdout);
    }

    [Fact]
    public async Task Impersonation_needs_the_impersonate_verb()
    {
        await using var cluster = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { EnableRbac = true });
        cluster.AddUser("agent-token", "agent");
        using var agent = new RawApi(cluster, "agent-token");
        var headers = new Dictionary<string, string> { ["Impersonate-User"] = "ci-user" };
        var (code, body, _) = await agent.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/pods", headers: headers);
        Assert.Equal(403, code);
        Assert.Equal("users \"ci-user\" is forbidden: User \"agent\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope", (string?)body!["message"]);

        using var admin = new RawApi(cluster);
        Assert.Equal(201, (await admin.PostAsync("/apis/rbac.authorization.k8s.io/v1/clusterroles",
            """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"impersonator"},"rules":[{"apiGroups":[""],"resources":["users","groups"],"verbs":["impersonate"]}]}""")).Code);
        Assert.Equal(201, (await admin.PostAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"agent-impersonates"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"impersonator"},"subjects":[{"kind":"User","name":"agent","apiGroup":"rbac.authorization.k8s.io"}]}""")).Code);
        Assert.Equal(201, (await admin.PostAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"ci-views"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"Group","name":"gitlab:ci_job","apiGroup":"rbac.authorization.k8s.io"}]}""")).Code);

        var (ok, list, _) = await agent.SendAsync(HttpMethod.Get, "/api/v1/namespaces/default/pods", headers: new Dictionary<string, string> { ["Impersonate-User"] = "ci-user", ["Impersonate-Group"] = "gitlab:ci_job" });
        Assert.Equal(200, ok);
        Assert.Equal("PodList", (string?)list!["kind"]);

        var (who, review, _) = await agent.SendAsync(HttpMethod.Post, "/apis/authentication.k8s.io/v1/selfsubjectreviews", "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}",
            headers: new Dictionary<string, string> { ["Impersonate-User"] = "ci-user", ["Impersonate-Group"] = "gitlab:ci_job" });
        Assert.Equal(201, who);
        Assert.Equal("ci-user", (string?)review!["status"]!["userInfo"]!["username"]);
        Assert.Equal(["gitlab:ci_job", "system:authenticated"], review["status"]!["userInfo"]!["groups"]!.AsArray().Select(g => (string)g!).ToArray());
    }

    [Fact]
    public async Task Rules_review_lists_what_a_user_may_do()
    {
        await using var cluster = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { EnableRbac = true });
        cluster.AddUser("alice-token", "alice");
        using var admin = new KubectlRunner(cluster.KubeconfigPath);
        (await admin.RunAsync("create", "namespace", "team-y")).ShouldSucceed();
        (await admin.RunAsync("apply", "-f", admin.WriteFile("rbac.yaml", ReaderRbac))).ShouldSucceed();
        using var alice = new KubectlRunner(cluster.WriteKubeconfig(Path.Combine(admin.Home, "alice.kubeconfig"), "alice-token", "alice"));
        var list = (await alice.RunAsync("auth", "can-i", "--list", "-n", "team-y")).ShouldSucceed();
        Assert.Contains(list.Stdout.Split('\n'), l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["pods", "[]", "[]", "[get", "list", "watch]"]);
        Assert.Contains(list.Stdout.Split('\n'), l => l.StartsWith("selfsubjectaccessreviews.authorization.k8s.io", StringComparison.Ordinal));

        var adminList = JsonNode.Parse((await admin.RunAsync("get", "clusterrolebindings", "cluster-admin", "-o", "json")).ShouldSucceed().Stdout)!;
        Assert.Equal("system:masters", (string?)adminList["subjects"]![0]!["name"]);
    }
}
