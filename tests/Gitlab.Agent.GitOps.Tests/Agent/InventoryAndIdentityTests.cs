using System.Text.Json.Nodes;
using Gitlab.Agent.GitOps.Agent;
using Gitlab.Agent.Protocol.AgentCfg;
using Google.Protobuf.WellKnownTypes;

namespace Gitlab.Agent.GitOps.Tests.Agent;

public class InventoryAndIdentityTests
{
    [Theory]
    [InlineData("", "apps", "Deployment", "ns", "web", "ns_web_apps_Deployment")]
    [InlineData("", "", "Namespace", "", "ns", "_ns__Namespace")]
    [InlineData("", "rbac.authorization.k8s.io", "ClusterRole", "", "system:reader", "_system__reader_rbac.authorization.k8s.io_ClusterRole")]
    [InlineData("", "example.com", "Widget", "ns", "w.1", "ns_w.1_example.com_Widget")]
    public void Inventory_keys_use_the_cli_utils_format_and_round_trip(string _, string group, string kind, string ns, string name, string key)
    {
        var id = new ObjectId(group, kind, ns, name);
        Assert.Equal(key, id.ToInventoryKey());
        Assert.True(ObjectId.TryParseInventoryKey(key, out var parsed));
        Assert.Equal(id, parsed);
    }

    [Theory]
    [InlineData("nounderscore")]
    [InlineData("ns_name_group")]
    [InlineData("ns__group_")]
    public void Malformed_inventory_keys_are_rejected(string key)
    {
        Assert.False(ObjectId.TryParseInventoryKey(key, out _));
    }

    [Fact]
    public void Resource_key_matches_gitlab_format()
    {
        Assert.Equal("apps/Deployment/kas-test001/nginx-deployment", new ObjectId("apps", "Deployment", "kas-test001", "nginx-deployment").ResourceKey);
        Assert.Equal("/ConfigMap/default/cm", new ObjectId("", "ConfigMap", "default", "cm").ResourceKey);
    }

    [Theory]
    [InlineData(0, false, null, true)]
    [InlineData(0, true, "mine", true)]
    [InlineData(0, true, null, false)]
    [InlineData(0, true, "other", false)]
    [InlineData(1, true, null, true)]
    [InlineData(1, true, "other", false)]
    [InlineData(2, true, null, true)]
    [InlineData(2, true, "other", true)]
    public void Apply_policy(int policy, bool exists, string? owner, bool allowed)
    {
        var reason = InventoryPolicyDecision.ApplyBlockedReason((InventoryPolicy)policy, "mine", exists, owner);
        Assert.Equal(allowed, reason is null);
        if (reason is not null)
        {
            Assert.StartsWith("inventory policy prevented actuation", reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Prune_only_deletes_objects_still_owned_and_not_marked_keep()
    {
        Assert.Null(InventoryPolicyDecision.PruneBlockedReason("mine", "mine", null));
        Assert.NotNull(InventoryPolicyDecision.PruneBlockedReason("mine", null, null));
        Assert.Contains("other", InventoryPolicyDecision.PruneBlockedReason("mine", "other", null), StringComparison.Ordinal);
        Assert.NotNull(InventoryPolicyDecision.PruneBlockedReason("mine", "mine", new Dictionary<string, string> { ["cli-utils.sigs.k8s.io/on-remove"] = "keep" }));
        Assert.NotNull(InventoryPolicyDecision.PruneBlockedReason("mine", "mine", new Dictionary<string, string> { ["client.lifecycle.config.k8s.io/deletion"] = "detach" }));
    }

    [Fact]
    public void Claims_keep_the_first_project()
    {
        var claims = new ObjectClaims();
        var id = new ObjectId("", "ConfigMap", "default", "a");
        Assert.Null(claims.TryClaim(id, "p1"));
        Assert.Null(claims.TryClaim(id, "p1"));
        Assert.Equal("p1", claims.TryClaim(id, "p2"));
        claims.Retain("p1", new HashSet<ObjectId>());
        Assert.Null(claims.TryClaim(id, "p2"));
    }

    [Fact]
    public void Settings_defaults_and_validation()
    {
        var settings = ManifestProjectSettings.From(new ManifestProjectCF(), "group/config");
        Assert.Equal("group/config", settings.ProjectPath);
        Assert.Equal("default", settings.DefaultNamespace);
        Assert.Equal(["**/*.{yaml,yml,json}"], settings.Globs);
        Assert.True(settings.Prune);
        Assert.False(settings.AllowEmptyPrune);
        Assert.Equal("Foreground", settings.PropagationPolicy);
        Assert.Equal(InventoryPolicy.MustMatch, settings.InventoryPolicy);
        Assert.Equal(TimeSpan.FromHours(1), settings.ReconcileTimeout);

        var cf = new ManifestProjectCF
        {
            Id = "group/manifests",
            DefaultNamespace = "apps",
            Prune = false,
            AllowEmptyPrune = true,
            InventoryPolicy = "adopt_all",
            DryRunStrategy = "server",
            PrunePropagationPolicy = "orphan",
            ReconcileTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(30)),
            Ref = new GitRefCF { Tag = "v1" },
        };
        cf.Paths.Add(new PathCF { Glob = "/deploy/**" });
        cf.ResourceExclusions.Add(new ResourceFilterCF { ApiGroups = { "*" }, Kinds = { "Secret" } });
        settings = ManifestProjectSettings.From(cf, "group/config");
        Assert.Equal("group/manifests", settings.ProjectPath);
        Assert.False(settings.Prune);
        Assert.True(settings.AllowEmptyPrune);
        Assert.Equal(DryRunStrategy.Server, settings.DryRun);
        Assert.Equal("Orphan", settings.PropagationPolicy);
        Assert.Equal("tag v1", settings.RefDescription);
        Assert.False(settings.IsManaged(new GroupKind("", "Secret")));
        Assert.True(settings.IsManaged(new GroupKind("", "ConfigMap")));

        var e = Assert.Throws<ArgumentException>(() => ManifestProjectSettings.From(new ManifestProjectCF { InventoryPolicy = "whatever" }, "g/p"));
        Assert.Contains("inventory_policy", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => ManifestProjectSettings.From(new ManifestProjectCF { ResourceInclusions = { new ResourceFilterCF() } }, "g/p"));
        Assert.Contains("resource_inclusions[0]", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("apps", "Deployment", """{"metadata":{"generation":2},"spec":{"replicas":2},"status":{"observedGeneration":2,"updatedReplicas":2,"availableReplicas":2,"conditions":[{"type":"Available","status":"True"}]}}""", true)]
    [InlineData("apps", "Deployment", """{"metadata":{"generation":3},"spec":{"replicas":2},"status":{"observedGeneration":2,"updatedReplicas":2,"availableReplicas":2,"conditions":[{"type":"Available","status":"True"}]}}""", false)]
    [InlineData("apps", "Deployment", """{"metadata":{"generation":1},"spec":{"replicas":2},"status":{"observedGeneration":1,"availableReplicas":0,"conditions":[{"type":"Available","status":"False"}]}}""", false)]
    [InlineData("batch", "Job", """{"status":{"conditions":[{"type":"Complete","status":"True"}]}}""", true)]
    [InlineData("batch", "Job", """{"status":{}}""", false)]
    [InlineData("apiextensions.k8s.io", "CustomResourceDefinition", """{"status":{"conditions":[{"type":"Established","status":"True"}]}}""", true)]
    [InlineData("", "Namespace", """{"status":{"phase":"Terminating"}}""", false)]
    [InlineData("", "ConfigMap", """{}""", true)]
    [InlineData("apps", "StatefulSet", """{"metadata":{"generation":1},"spec":{"replicas":3},"status":{"observedGeneration":1,"readyReplicas":3,"updatedReplicas":3}}""", true)]
    [InlineData("apps", "DaemonSet", """{"metadata":{"generation":1},"status":{"observedGeneration":1,"desiredNumberScheduled":2,"numberReady":1,"updatedNumberScheduled":2}}""", false)]
    public void Readiness_rules(string group, string kind, string json, bool ready)
    {
        var state = ReadinessEvaluator.Evaluate(new GroupKind(group, kind), JsonNode.Parse(json)!.AsObject());
        Assert.Equal(ready, state.Ready);
        if (!ready)
        {
            Assert.False(string.IsNullOrEmpty(state.Message));
        }
    }

    [Fact]
    public void A_failed_job_cannot_become_ready()
    {
        var state = ReadinessEvaluator.Evaluate(new GroupKind("batch", "Job"), JsonNode.Parse("""{"status":{"conditions":[{"type":"Failed","status":"True","message":"BackoffLimitExceeded"}]}}""")!.AsObject());
        Assert.True(state.Failed);
        Assert.Contains("BackoffLimitExceeded", state.Message, StringComparison.Ordinal);
    }
}
