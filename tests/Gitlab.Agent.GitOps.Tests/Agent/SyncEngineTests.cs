using System.Text.Json.Nodes;
using Gitlab.Agent.GitOps.Agent;
using Gitlab.Agent.GitOps.Tests.Infrastructure;

namespace Gitlab.Agent.GitOps.Tests.Agent;

public class SyncEngineTests
{
    internal const string Namespace = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: kas-test001
        """;

    internal const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: nginx-deployment
          namespace: kas-test001
        spec:
          replicas: 2
          selector:
            matchLabels: {app: nginx}
          template:
            metadata:
              labels: {app: nginx}
            spec:
              containers:
              - name: nginx
                image: nginx:1.14.2
                ports:
                - containerPort: 80
        """;

    internal static string ConfigMap(string name, string value = "1") => $$"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{name}}
        data:
          key: "{{value}}"
        """;

    private static void AssertNoWrites(EngineHarness h, string phase, SyncOutcome outcome)
    {
        Assert.NotEmpty(h.RequestsOf(phase)); // the step's reads are seen, so its writes would be too
        var writes = h.WritesOf(phase).Select(r => $"{r.Method} {r.Path}{r.Query}").ToList();
        var changed = outcome.Objects.Where(o => o.Result != GitOpsObjectResult.Unchanged).Select(o => o.ToString()).ToList();
        Assert.True(writes.Count == 0 && changed.Count == 0, $"writes: [{string.Join(", ", writes)}]; not unchanged: [{string.Join(", ", changed)}]");
    }

    private static GitOpsObjectState Result(SyncOutcome outcome, string resourceKey) =>
        outcome.Objects.Single(o => o.ResourceKey == resourceKey);

    [Fact]
    public async Task Creates_objects_in_order_with_inventory_and_owning_annotation()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/kas-manifest001");
        var outcome = await h.SyncAsync(state, "c1", ("ns.yaml", Namespace), ("app/deploy.yaml", Deployment), ("cm.yaml", ConfigMap("cm1")));

        Assert.Equal(GitOpsSyncStatus.Syncing, outcome.Status);
        Assert.All(outcome.Objects, o => Assert.Equal(GitOpsObjectResult.Applied, o.Result));
        Assert.Equal(3, outcome.Objects.Count);
        var cm = await h.GetAsync("v1", "ConfigMap", "default", "cm1");
        Assert.NotNull(cm);
        Assert.Equal(state.Inventory.InventoryId, cm!["metadata"]!["annotations"]![InventoryPolicyDecision.OwningInventoryAnnotation]!.GetValue<string>());
        var deploy = await h.GetAsync("apps/v1", "Deployment", "kas-test001", "nginx-deployment");
        Assert.NotNull(deploy);
        Assert.Contains(deploy!["metadata"]!["managedFields"]!.AsArray(), f => f!["manager"]!.GetValue<string>() == "agentk");

        var inventory = await h.GetAsync("v1", "ConfigMap", "default", state.Inventory.Name);
        Assert.NotNull(inventory);
        Assert.Equal(state.Inventory.InventoryId, inventory!["metadata"]!["labels"]![InventoryStore.InventoryIdLabel]!.GetValue<string>());
        var keys = inventory["data"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["_kas-test001__Namespace", "default_cm1__ConfigMap", "kas-test001_nginx-deployment_apps_Deployment"], keys);
    }

    [Fact]
    public async Task Unchanged_resync_makes_zero_writes()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/p");
        var files = new[] { ("ns.yaml", Namespace), ("deploy.yaml", Deployment), ("cm.yaml", ConfigMap("cm1")) };
        await h.SyncAsync(state, "c1", files);

        h.BeginPhase("resync");
        var again = await h.SyncAsync(state, "c1", files);
        AssertNoWrites(h, "resync", again);

        // A fresh agent (no memory of earlier applies) also makes no writes.
        h.BeginPhase("restarted");
        var fresh = h.NewState("root/p");
        var restarted = await h.SyncAsync(fresh, "c1", files);
        AssertNoWrites(h, "restarted", restarted);
    }

    [Fact]
    public async Task Update_applies_only_the_changed_object_and_removes_fields_dropped_from_git()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/p");
        var withExtra = ConfigMap("cm1") + "\n  extra: \"x\"";
        await h.SyncAsync(state, "c1", ("a.yaml", withExtra), ("b.yaml", ConfigMap("cm2")));

        h.BeginPhase("update");
        var outcome = await h.SyncAsync(state, "c2", ("a.yaml", ConfigMap("cm1", "2")), ("b.yaml", ConfigMap("cm2")));
        Assert.Equal(GitOpsObjectResult.Applied, Result(outcome, "/ConfigMap/default/cm1").Result);
        Assert.Equal(GitOpsObjectResult.Unchanged, Result(outcome, "/ConfigMap/default/cm2").Result);
        Assert.Equal(1, h.RequestsOf("update").Count(r => r.Verb == "patch"));
        var cm = await h.GetAsync("v1", "ConfigMap", "default", "cm1");
        Assert.Equal("2", cm!["data"]!["key"]!.GetValue<string>());
        Assert.False(cm["data"]!.AsObject().ContainsKey("extra"));
    }

    [Fact]
    public async Task Renamed_and_deleted_objects_are_pruned()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/p");
        await h.SyncAsync(state, "c1", ("a.yaml", ConfigMap("old")), ("b.yaml", ConfigMap("gone")), ("c.yaml", ConfigMap("stay")));

        var outcome = await h.SyncAsync(state, "c2", ("a.yaml", ConfigMap("new")), ("c.yaml", ConfigMap("stay")));
        Assert.Equal(GitOpsSyncStatus.Syncing, outcome.Status);
        Assert.Equal(GitOpsObjectResult.Pruned, Result(outcome, "/ConfigMap/default/old").Result);
        Assert.Equal(GitOpsObjectResult.Pruned, Result(outcome, "/ConfigMap/default/gone").Result);
        Assert.Null(await h.GetAsync("v1", "ConfigMap", "default", "old"));
        Assert.Null(await h.GetAsync("v1", "ConfigMap", "default", "gone"));
        Assert.NotNull(await h.GetAsync("v1", "ConfigMap", "default", "new"));
        var inventory = await state.Inventory.ReadAsync(CancellationToken.None);
        Assert.Equal(["default_new__ConfigMap", "default_stay__ConfigMap"], inventory.Select(i => i.ToInventoryKey()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Empty_set_prunes_nothing_unless_allowed()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/p");
        await h.SyncAsync(state, "c1", ("a.yaml", ConfigMap("a")));

        var outcome = await h.SyncAsync(state, "c2");
        Assert.Contains("allow_empty_prune", outcome.Message, StringComparison.Ordinal);
        Assert.NotNull(await h.GetAsync("v1", "ConfigMap", "default", "a"));
        Assert.Single(await state.Inventory.ReadAsync(CancellationToken.None));

        var allowing = h.NewState("root/p", s => s with { AllowEmptyPrune = true });
        var pruned = await h.SyncAsync(allowing, "c2");
        Assert.Equal(GitOpsObjectResult.Pruned, Result(pruned, "/ConfigMap/default/a").Result);
        Assert.Null(await h.GetAsync("v1", "ConfigMap", "default", "a"));
    }

    [Fact]
    public async Task Malformed_deployment_fails_alone_and_blocks_prune()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/p");
        await h.SyncAsync(state, "c1", ("old.yaml", ConfigMap("old")));

        const string malformed = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: broken
              replicas: 3
            spec:
              selector: {matchLabels: {app: b}}
              template:
                metadata: {labels: {app: b}}
                spec: {containers: [{name: c, image: busybox}]}
            """;
        var outcome = await h.SyncAsync(state, "c2", ("broken.yaml", malformed), ("cm.yaml", ConfigMap("fine")));
        Assert.Equal(GitOpsSyncStatus.Failed, outcome.Status);
        var broken = Result(outcome, "apps/Deployment/default/broken");
        Assert.Equal(GitOpsObjectResult.Failed, broken.Result);
        Assert.Contains("metadata.replicas", broken.Message, StringComparison.Ordinal);
        Assert.Equal("broken.yaml:1", broken.Source);
        Assert.Equal(GitOpsObjectResult.Applied, Result(outcome, "/ConfigMap/default/fine").Result);
        Assert.DoesNotContain(outcome.Objects, o => o.Result == GitOpsObjectResult.Pruned);
        Assert.NotNull(await h.GetAsync("v1", "ConfigMap", "default", "old"));
        Assert.Contains("not pruned", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decode_error_applies_and_prunes_nothing()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/p");
        await h.SyncAsync(state, "c1", ("old.yaml", ConfigMap("old")));

        h.BeginPhase("broken");
        var outcome = await h.SyncAsync(state, "c2", ("new.yaml", ConfigMap("new")), ("bad.yaml", "apiVersion: v1\nkind: [oops\n"));
        Assert.Equal(GitOpsSyncStatus.Failed, outcome.Status);
        Assert.Contains("bad.yaml:", outcome.Message, StringComparison.Ordinal);
        Assert.Empty(h.WritesOf("broken"));
        Assert.Null(await h.GetAsync("v1", "ConfigMap", "default", "new"));
        Assert.NotNull(await h.GetAsync("v1", "ConfigMap", "default", "old"));
    }

    /// <summary>Document 1 (line 1) of the file is a good ConfigMap; document 2 (line 8) lacks apiVersion.</summary>
    internal static string BrokenFile(string goodName, string goodValue) =>
        ConfigMap(goodName, goodValue) + "\n---\nkind: ConfigMap\nmetadata: {name: no-api-version}\n";

    [Fact]
    public async Task Apply_on_decode_error_applies_the_other_files_holds_back_the_broken_one_and_prunes_nothing()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/p", s => s with { ApplyOnDecodeError = true });
        await h.SyncAsync(state, "c1", ("old.yaml", ConfigMap("old")), ("multi.yaml", ConfigMap("in-broken-file", "1")), ("keep.yaml", ConfigMap("keep")));

        // old.yaml deleted (would be pruned), new.yaml added, keep.yaml changed, multi.yaml broken in its 2nd document.
        var outcome = await h.SyncAsync(state, "c2",
            ("new.yaml", ConfigMap("new")), ("keep.yaml", ConfigMap("keep", "2")), ("multi.yaml", BrokenFile("in-broken-file", "2")), ("syntax.yaml", "apiVersion: v1\nkind: [oops\n"));

        Assert.Equal(GitOpsSyncStatus.Failed, outcome.Status);
        Assert.Equal(GitOpsObjectResult.Applied, Result(outcome, "/ConfigMap/default/new").Result);
        Assert.Equal(GitOpsObjectResult.Applied, Result(outcome, "/ConfigMap/default/keep").Result);
        var fileFailures = outcome.Objects.Where(o => o.ResourceKey.Length == 0).ToList();
        Assert.Equal(2, fileFailures.Count);
        Assert.All(fileFailures, f => Assert.Equal(GitOpsObjectResult.Failed, f.Result));
        var multi = Assert.Single(fileFailures, f => f.Source!.StartsWith("multi.yaml:", StringComparison.Ordinal));
        Assert.Equal("multi.yaml:8", multi.Source);
        Assert.Contains("apiVersion is missing", multi.Message, StringComparison.Ordinal);
        Assert.Contains("no object of multi.yaml was applied", multi.Message, StringComparison.Ordinal);
        Assert.Contains(fileFailures, f => f.Source!.StartsWith("syntax.yaml:", StringComparison.Ordinal) && f.Message!.Contains("invalid YAML", StringComparison.Ordinal));
        Assert.Contains("2 manifest file(s) could not be decoded", outcome.Message, StringComparison.Ordinal);
        Assert.Contains("multi.yaml:8", outcome.Message, StringComparison.Ordinal);
        Assert.Contains("not pruned", outcome.Message, StringComparison.Ordinal);

        // Nothing pruned; the broken file's objects are left as they were (the good document of it is held back too).
        Assert.NotNull(await h.GetAsync("v1", "ConfigMap", "default", "old"));
        Assert.Equal("1", (await h.GetAsync("v1", "ConfigMap", "default", "in-broken-file"))!["data"]!["key"]!.GetValue<string>());
        Assert.Equal("2", (await h.GetAsync("v1", "ConfigMap", "default", "keep"))!["data"]!["key"]!.GetValue<string>());
        var inventory = (await state.Inventory.ReadAsync(CancellationToken.None)).Select(i => i.Name).Order(StringComparer.Ordinal);
        Assert.Equal(["in-broken-file", "keep", "new", "old"], inventory);
        Assert.Contains(h.Logs.Logs, e => e.Message == "Synced"
            && (string?)e.Fields.GetValueOrDefault("syncResult") == $"failed: {multi.Message}");

        // Fixed: everything applies and prune works again.
        var fixedOutcome = await h.SyncAsync(state, "c3",
            ("new.yaml", ConfigMap("new")), ("keep.yaml", ConfigMap("keep", "2")), ("multi.yaml", ConfigMap("in-broken-file", "2")));
        Assert.Equal(GitOpsSyncStatus.Syncing, fixedOutcome.Status);
        Assert.Null(fixedOutcome.Message);
        Assert.Equal(GitOpsObjectResult.Pruned, Result(fixedOutcome, "/ConfigMap/default/old").Result);
        Assert.Null(await h.GetAsync("v1", "ConfigMap", "default", "old"));
        Assert.Equal("2", (await h.GetAsync("v1", "ConfigMap", "default", "in-broken-file"))!["data"]!["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Apply_on_decode_error_does_not_release_the_broken_files_objects_to_another_project()
    {
        await using var h = await EngineHarness.StartAsync();
        var a = h.NewState("group/a", s => s with { ApplyOnDecodeError = true });
        var b = h.NewState("group/b", s => s with { InventoryPolicy = InventoryPolicy.AdoptAll });
        await h.SyncAsync(a, "c1", ("x.yaml", ConfigMap("shared", "a")), ("y.yaml", ConfigMap("other")));

        await h.SyncAsync(a, "c2", ("x.yaml", "apiVersion: v1\nkind: [oops\n"), ("y.yaml", ConfigMap("other")));
        var outcome = await h.SyncAsync(b, "c1", ("x.yaml", ConfigMap("shared", "b")));
        Assert.Contains("also declared by manifest project group/a", Result(outcome, "/ConfigMap/default/shared").Message, StringComparison.Ordinal);
        Assert.Equal("a", (await h.GetAsync("v1", "ConfigMap", "default", "shared"))!["data"]!["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Crd_and_custom_resource_in_one_commit()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/p");
        const string crd = """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: widgets.example.com
            spec:
              group: example.com
              scope: Namespaced
              names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
              versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true
            """;
        const string widget = """
            apiVersion: example.com/v1
            kind: Widget
            metadata:
              name: w1
            spec:
              size: 3
            """;
        var outcome = await h.SyncAsync(state, "c1", ("w.yaml", widget), ("crd.yaml", crd));
        Assert.All(outcome.Objects, o => Assert.Equal(GitOpsObjectResult.Applied, o.Result));
        var live = await h.GetAsync("example.com/v1", "Widget", "default", "w1");
        Assert.Equal(3, live!["spec"]!["size"]!.GetValue<long>());
    }

    [Fact]
    public async Task Must_match_skips_objects_that_belong_to_no_inventory_and_adopt_if_no_inventory_takes_them()
    {
        await using var h = await EngineHarness.StartAsync();
        await h.ApplyAsAsync("kubectl", ConfigMap("existing", "manual"));

        var strict = h.NewState("root/p");
        var outcome = await h.SyncAsync(strict, "c1", ("a.yaml", ConfigMap("existing", "git")));
        var result = Result(outcome, "/ConfigMap/default/existing");
        Assert.Equal(GitOpsObjectResult.Skipped, result.Result);
        Assert.Contains("inventory policy prevented actuation", result.Message, StringComparison.Ordinal);
        Assert.Equal("manual", (await h.GetAsync("v1", "ConfigMap", "default", "existing"))!["data"]!["key"]!.GetValue<string>());
        Assert.Empty(await strict.Inventory.ReadAsync(CancellationToken.None));

        var adopting = h.NewState("root/p", s => s with { InventoryPolicy = InventoryPolicy.AdoptIfNoInventory });
        outcome = await h.SyncAsync(adopting, "c1", ("a.yaml", ConfigMap("existing", "git")));
        Assert.Equal(GitOpsObjectResult.Applied, Result(outcome, "/ConfigMap/default/existing").Result);
        Assert.Equal("git", (await h.GetAsync("v1", "ConfigMap", "default", "existing"))!["data"]!["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Objects_of_another_inventory_are_taken_only_with_adopt_all_and_never_pruned_by_the_old_owner()
    {
        await using var h = await EngineHarness.StartAsync();
        var first = h.NewState("root/first", agentId: 1);
        await h.SyncAsync(first, "c1", ("a.yaml", ConfigMap("shared")));

        var other = h.NewState("root/second", s => s with { InventoryPolicy = InventoryPolicy.AdoptIfNoInventory }, agentId: 2);
        var outcome = await h.SyncAsync(other, "c1", ("a.yaml", ConfigMap("shared", "2")));
        var skipped = Result(outcome, "/ConfigMap/default/shared");
        Assert.Equal(GitOpsObjectResult.Skipped, skipped.Result);
        Assert.Contains(first.Inventory.InventoryId, skipped.Message, StringComparison.Ordinal);

        var adoptAll = h.NewState("root/second", s => s with { InventoryPolicy = InventoryPolicy.AdoptAll }, agentId: 2);
        outcome = await h.SyncAsync(adoptAll, "c1", ("a.yaml", ConfigMap("shared", "2")));
        Assert.Equal(GitOpsObjectResult.Applied, Result(outcome, "/ConfigMap/default/shared").Result);

        // The first project drops the object: it now belongs to the other inventory, so it is not deleted.
        var pruneAttempt = await h.SyncAsync(first, "c2", ("b.yaml", ConfigMap("unrelated")));
        var notPruned = Result(pruneAttempt, "/ConfigMap/default/shared");
        Assert.Equal(GitOpsObjectResult.Skipped, notPruned.Result);
        Assert.Contains("belongs to inventory", notPruned.Message, StringComparison.Ordinal);
        Assert.NotNull(await h.GetAsync("v1", "ConfigMap", "default", "shared"));
    }

    [Fact]
    public async Task Overlapping_projects_get_a_clear_error_on_the_second_and_do_not_flap()
    {
        await using var h = await EngineHarness.StartAsync();
        var a = h.NewState("group/a");
        var b = h.NewState("group/b", s => s with { InventoryPolicy = InventoryPolicy.AdoptAll });
        await h.SyncAsync(a, "c1", ("x.yaml", ConfigMap("same", "a")));
        var outcome = await h.SyncAsync(b, "c1", ("x.yaml", ConfigMap("same", "b")));
        var result = Result(outcome, "/ConfigMap/default/same");
        Assert.Equal(GitOpsObjectResult.Failed, result.Result);
        Assert.Contains("also declared by manifest project group/a", result.Message, StringComparison.Ordinal);

        h.BeginPhase("resync");
        await h.SyncAsync(a, "c1", ("x.yaml", ConfigMap("same", "a")));
        await h.SyncAsync(b, "c1", ("x.yaml", ConfigMap("same", "b")));
        Assert.NotEmpty(h.RequestsOf("resync"));
        Assert.Empty(h.WritesOf("resync"));
        Assert.Equal("a", (await h.GetAsync("v1", "ConfigMap", "default", "same"))!["data"]!["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Drift_of_a_managed_field_is_corrected_and_unmanaged_additions_are_left_alone()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/p");
        await h.SyncAsync(state, "c1", ("ns.yaml", Namespace), ("d.yaml", Deployment));
        var id = new ObjectId("apps", "Deployment", "kas-test001", "nginx-deployment");

        // Someone adds a label agentk does not manage: no drift.
        var live = await h.GetAsync("apps/v1", "Deployment", "kas-test001", "nginx-deployment");
        live!["metadata"]!["labels"] = new JsonObject { ["team"] = "blue" };
        Assert.True(h.Engine.IsUnchanged(state, state.Managed[id], live));
        h.BeginPhase("repair");
        Assert.Empty(await h.Engine.RepairAsync(state, [id], CancellationToken.None));
        Assert.NotEmpty(h.RequestsOf("repair"));
        Assert.Empty(h.WritesOf("repair"));

        // Someone edits a managed field: corrected.
        await h.ApplyAsAsync("kubectl-edit", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: nginx-deployment, namespace: kas-test001}
            spec: {replicas: 5}
            """);
        var repaired = await h.Engine.RepairAsync(state, [id], CancellationToken.None);
        Assert.Equal(GitOpsObjectResult.Applied, Assert.Single(repaired).Result);
        live = await h.GetAsync("apps/v1", "Deployment", "kas-test001", "nginx-deployment");
        Assert.Equal(2, live!["spec"]!["replicas"]!.GetValue<long>());
    }

    [Fact]
    public async Task Client_dry_run_writes_nothing()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/p", s => s with { DryRun = DryRunStrategy.Client });
        h.Cluster.Requests.Reset();
        var outcome = await h.SyncAsync(state, "c1", ("a.yaml", ConfigMap("a")));
        Assert.Equal(0, h.Cluster.Requests.WriteCount);
        Assert.Contains("would be created", Result(outcome, "/ConfigMap/default/a").Message, StringComparison.Ordinal);
        Assert.Null(await h.GetAsync("v1", "ConfigMap", "default", "a"));
    }

    [Fact]
    public async Task Server_dry_run_sends_dry_run_requests_only()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/p", s => s with { DryRun = DryRunStrategy.Server });
        var outcome = await h.SyncAsync(state, "c1", ("a.yaml", ConfigMap("a")));
        Assert.Contains("dry_run_strategy server", Result(outcome, "/ConfigMap/default/a").Message, StringComparison.Ordinal);
        Assert.Null(await h.GetAsync("v1", "ConfigMap", "default", "a"));
        Assert.All(h.Cluster.Requests.Snapshot().Where(r => r.Verb == "patch"), r => Assert.Contains("dryRun=All", r.Query, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resource_filters_skip_excluded_kinds()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/p", s => s with { Exclusions = [new ResourceFilter([""], ["ConfigMap"])] });
        var outcome = await h.SyncAsync(state, "c1", ("a.yaml", ConfigMap("a")), ("ns.yaml", Namespace));
        Assert.Equal(GitOpsObjectResult.Skipped, Result(outcome, "/ConfigMap/default/a").Result);
        Assert.Equal(GitOpsObjectResult.Applied, Result(outcome, "/Namespace//kas-test001").Result);
        Assert.Null(await h.GetAsync("v1", "ConfigMap", "default", "a"));
    }

    [Fact]
    public async Task Readiness_waits_for_deployment_availability()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/p", s => s with { ReconcileTimeout = TimeSpan.FromSeconds(30) });
        var outcome = await h.SyncAsync(state, "c1", ("ns.yaml", Namespace), ("d.yaml", Deployment), ("cm.yaml", ConfigMap("a")));
        await h.Engine.AwaitReadinessAsync(state, outcome, CancellationToken.None);
        Assert.Equal(GitOpsSyncStatus.Synced, outcome.Status);
        Assert.All(outcome.Objects, o => Assert.True(o.Ready));
    }

    [Fact]
    public async Task Not_ready_objects_are_reported_after_reconcile_timeout()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/p", s => s with { ReconcileTimeout = TimeSpan.FromSeconds(1) });
        const string job = """
            apiVersion: batch/v1
            kind: Job
            metadata: {name: never}
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
            """;
        var outcome = await h.SyncAsync(state, "c1", ("job.yaml", job));
        await h.Engine.AwaitReadinessAsync(state, outcome, CancellationToken.None);
        var result = Result(outcome, "batch/Job/default/never");
        if (result.Ready == true)
        {
            // The test cluster completed the Job: nothing to assert about timeouts then.
            Assert.Equal(GitOpsSyncStatus.Synced, outcome.Status);
            return;
        }

        Assert.Equal(GitOpsSyncStatus.NotReady, outcome.Status);
        Assert.False(result.Ready);
        Assert.NotNull(result.ReadinessMessage);
    }

    [Fact]
    public async Task Synced_log_lines_carry_project_resource_key_and_result()
    {
        await using var h = await EngineHarness.StartAsync();
        var state = h.NewState("root/kas-manifest001");
        await h.SyncAsync(state, "c1", ("ns.yaml", Namespace), ("d.yaml", Deployment));
        var entry = h.Logs.Logs.First(e => e.Message == "Synced" && (string?)e.Fields.GetValueOrDefault("resourceKey") == "apps/Deployment/kas-test001/nginx-deployment");
        Assert.Equal("root/kas-manifest001", entry.Fields["projectId"]);
        Assert.StartsWith("applied", (string)entry.Fields["syncResult"]!, StringComparison.Ordinal);
    }
}
