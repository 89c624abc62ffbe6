using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Semantics;

namespace Gitlab.Agent.Testing.Tests.Semantics;

public class RbacAuthorizerTests
{
    private static JsonObject Role(string ns, string name, string rules)
        => Json.Obj($$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"{{name}}","namespace":"{{ns}}"},"rules":{{rules}}}""");

    private static JsonObject ClusterRole(string name, string rules, string extra = "")
        => Json.Obj($$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"{{name}}"{{extra}}},"rules":{{rules}}}""");

    private static JsonObject RoleBinding(string ns, string name, string roleKind, string roleName, string subjects)
        => Json.Obj($$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"{{name}}","namespace":"{{ns}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"{{roleKind}}","name":"{{roleName}}"},"subjects":{{subjects}}}""");

    private static JsonObject ClusterRoleBinding(string name, string roleName, string subjects)
        => Json.Obj($$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"{{name}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"{{roleName}}"},"subjects":{{subjects}}}""");

    private static readonly UserInfo Alice = UserInfo.Authenticated("alice", "devs");
    private static readonly UserInfo Builder = UserInfo.ForServiceAccount("x", "builder");
    private static readonly UserInfo Admin = new("admin", ["system:masters", "system:authenticated"]);

    private static RbacAuthorizer Authorizer()
    {
        var (bootstrapRoles, bootstrapBindings) = RbacAuthorizer.BootstrapPolicy();
        return new RbacAuthorizer(
            [
                Role("x", "pod-reader", """[{"apiGroups":[""],"resources":["pods","pods/log"],"verbs":["get","list","watch"]}]"""),
                Role("x", "cm-one", """[{"apiGroups":[""],"resources":["configmaps"],"resourceNames":["cfg"],"verbs":["get","update"]}]"""),
            ],
            [
                .. bootstrapRoles,
                ClusterRole("deployer", """[{"apiGroups":["apps"],"resources":["deployments","deployments/scale"],"verbs":["*"]},{"apiGroups":["*"],"resources":["*/status"],"verbs":["get"]}]"""),
                ClusterRole("node-reader", """[{"apiGroups":[""],"resources":["nodes"],"verbs":["get","list"]},{"nonResourceURLs":["/metrics","/logs/*"],"verbs":["get"]}]"""),
                ClusterRole("aggregate-to-monitoring", """[{"apiGroups":["monitoring.coreos.com"],"resources":["servicemonitors"],"verbs":["get"]}]""", ""","labels":{"rbac.example.com/aggregate-to-monitoring":"true"}"""),
                Json.Obj("""{"kind":"ClusterRole","metadata":{"name":"monitoring"},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"rbac.example.com/aggregate-to-monitoring":"true"}}]},"rules":[]}"""),
            ],
            [
                RoleBinding("x", "read-pods", "Role", "pod-reader", """[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"}]"""),
                RoleBinding("x", "builder-deploys", "ClusterRole", "deployer", """[{"kind":"ServiceAccount","name":"builder"}]"""),
                RoleBinding("x", "one-cm", "Role", "cm-one", """[{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"devs"}]"""),
                RoleBinding("x", "dangling", "Role", "missing", """[{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"system:serviceaccounts:x"}]"""),
                RoleBinding("y", "monitoring", "ClusterRole", "monitoring", """[{"kind":"ServiceAccount","name":"builder","namespace":"x"}]"""),
            ],
            [
                .. bootstrapBindings,
                ClusterRoleBinding("read-nodes", "node-reader", """[{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"system:serviceaccounts"}]"""),
            ]);
    }

    public static TheoryData<string, string, string, string, string?, string?, string?, bool> ResourceCases => new()
    {
        // user, verb, group, resource, subresource, namespace, name, allowed
        { "alice", "get", "", "pods", null, "x", "web-0", true },
        { "alice", "list", "", "pods", null, "x", null, true },
        { "alice", "get", "", "pods", "log", "x", "web-0", true },
        { "alice", "create", "", "pods", "exec", "x", "web-0", false },
        { "alice", "delete", "", "pods", null, "x", "web-0", false },
        { "alice", "get", "", "pods", null, "y", "web-0", false },
        { "alice", "get", "", "pods", null, null, null, false },
        { "alice", "get", "", "configmaps", null, "x", "cfg", true },
        { "alice", "get", "", "configmaps", null, "x", "other", false },
        { "alice", "list", "", "configmaps", null, "x", null, false },
        { "alice", "create", "authorization.k8s.io", "selfsubjectaccessreviews", null, null, null, true },
        { "builder", "create", "apps", "deployments", null, "x", null, true },
        { "builder", "patch", "apps", "deployments", "scale", "x", "web", true },
        { "builder", "get", "apps", "deployments", "status", "x", "web", true },
        { "builder", "update", "apps", "deployments", "status", "x", "web", false },
        { "builder", "get", "", "pods", "status", "x", "p", true },
        { "builder", "create", "apps", "deployments", null, "y", null, false },
        { "builder", "create", "apps", "statefulsets", null, "x", null, false },
        { "builder", "list", "", "nodes", null, null, null, true },
        { "builder", "get", "monitoring.coreos.com", "servicemonitors", null, "y", "m", true },
        { "builder", "get", "monitoring.coreos.com", "servicemonitors", null, "x", "m", false },
        { "admin", "delete", "", "namespaces", null, null, "kube-system", true },
    };

    private static UserInfo User(string name) => name switch
    {
        "alice" => Alice,
        "builder" => Builder,
        _ => Admin,
    };

    [Theory]
    [MemberData(nameof(ResourceCases))]
    public void AuthorizesResourceRequests(string user, string verb, string group, string resource, string? subresource, string? ns, string? name, bool allowed)
        => Assert.Equal(allowed, Authorizer().Authorize(User(user), new ResourceAttributes(verb, group, resource, subresource, ns, name)).Allowed);

    [Theory]
    [InlineData("builder", "get", "/metrics", true)]
    [InlineData("builder", "get", "/logs/kubelet.log", true)]
    [InlineData("builder", "get", "/logs", false)]
    [InlineData("builder", "post", "/metrics", false)]
    [InlineData("alice", "get", "/healthz", true)]
    [InlineData("alice", "get", "/apis/apps/v1", true)]
    [InlineData("alice", "get", "/metrics", false)]
    [InlineData("admin", "get", "/debug/pprof", true)]
    public void AuthorizesNonResourceRequests(string user, string verb, string path, bool allowed)
        => Assert.Equal(allowed, Authorizer().Authorize(User(user), new NonResourceAttributes(verb, path)).Allowed);

    [Fact]
    public void ReasonsNameTheBindingLikeTheRealAuthorizer()
    {
        var authorizer = Authorizer();
        Assert.Equal("RBAC: allowed by RoleBinding \"read-pods/x\" of Role \"pod-reader\" to User \"alice\"",
            authorizer.Authorize(Alice, new ResourceAttributes("get", "", "pods", null, "x", "p")).Reason);
        Assert.Equal("RBAC: allowed by RoleBinding \"builder-deploys/x\" of ClusterRole \"deployer\" to ServiceAccount \"builder/x\"",
            authorizer.Authorize(Builder, new ResourceAttributes("create", "apps", "deployments", null, "x", null)).Reason);
        Assert.Equal("RBAC: allowed by ClusterRoleBinding \"read-nodes\" of ClusterRole \"node-reader\" to Group \"system:serviceaccounts\"",
            authorizer.Authorize(Builder, new ResourceAttributes("list", "", "nodes", null, null, null)).Reason);
        Assert.Equal("RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole \"system:discovery\" to Group \"system:authenticated\"",
            authorizer.Authorize(Alice, new NonResourceAttributes("get", "/api")).Reason);
        Assert.Equal((false, ""), authorizer.Authorize(Alice, new ResourceAttributes("delete", "", "pods", null, "x", "p")));
        Assert.Equal((true, ""), authorizer.Authorize(Admin, new ResourceAttributes("delete", "", "pods", null, "x", "p")));
    }

    [Fact]
    public void DeniedWithMissingRoleExplainsIt()
        => Assert.Equal((false, "RBAC: roles.rbac.authorization.k8s.io \"missing\" not found"),
            Authorizer().Authorize(Builder, new ResourceAttributes("delete", "", "secrets", null, "x", "s")));

    [Fact]
    public void ServiceAccountSubjectWithoutNamespaceNeedsABindingNamespace()
    {
        var authorizer = new RbacAuthorizer([], [ClusterRole("r", """[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]""")], [],
            [ClusterRoleBinding("b", "r", """[{"kind":"ServiceAccount","name":"builder"}]""")]);
        Assert.False(authorizer.Authorize(Builder, new ResourceAttributes("get", "", "pods", null, "x", "p")).Allowed);
    }

    [Fact]
    public void RulesReviewListsWhatApplies()
    {
        var status = Authorizer().RulesReviewStatus(Alice, "x");
        var resourceRules = status["resourceRules"]!.AsArray();
        Assert.Contains(resourceRules, r => r!["resources"]!.AsArray().Any(x => x!.GetValue<string>() == "selfsubjectaccessreviews"));
        Assert.Contains(resourceRules, r => r!.ToJsonString() == """{"verbs":["get","list","watch"],"apiGroups":[""],"resources":["pods","pods/log"]}""");
        Assert.Contains(resourceRules, r => r!.ToJsonString() == """{"verbs":["get","update"],"apiGroups":[""],"resources":["configmaps"],"resourceNames":["cfg"]}""");
        Assert.Contains(status["nonResourceRules"]!.AsArray(), r => r!["nonResourceURLs"]!.AsArray().Any(x => x!.GetValue<string>() == "/version"));
        Assert.False(status["incomplete"]!.GetValue<bool>());
        Assert.DoesNotContain(resourceRules, r => r!["resources"]!.AsArray().Any(x => x!.GetValue<string>() == "deployments"));

        var builder = Authorizer().RulesReviewStatus(Builder, "x");
        Assert.True(builder["incomplete"]!.GetValue<bool>());
        Assert.Equal("roles.rbac.authorization.k8s.io \"missing\" not found", builder["evaluationError"]!.GetValue<string>());

        var admin = Authorizer().RulesReviewStatus(Admin, "x");
        Assert.Contains(admin["resourceRules"]!.AsArray(), r => r!.ToJsonString() == """{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}""");
    }

    [Fact]
    public void ServiceAccountUserHasTheStandardGroups()
        => Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:x", "system:authenticated"], Builder.Groups);
}
