using Gitlab.Agent.GitOps.Agent;
using Gitlab.Agent.GitOps.Tests.Agent;
using Gitlab.Agent.GitOps.Tests.Infrastructure;

namespace Gitlab.Agent.GitOps.Tests.EndToEnd;

/// <summary>From a commit to cluster state: real KAS, real agentk, bare repositories, the test Kubernetes API server.</summary>
public class GitOpsEndToEndTests
{
    private const string SelfConfig = "gitops:\n  manifest_projects:\n  - default_namespace: default\n";

    private static Dictionary<string, string?> Files(params (string Path, string? Content)[] files) =>
        files.ToDictionary(f => f.Path, f => f.Content);

    [Fact]
    public async Task Create_update_rename_and_delete_follow_the_commits()
    {
        await using var env = await GitOpsEnvironment.StartAsync();
        await env.ConfigRepository.CommitAsync(Files(("ns.yaml", SyncEngineTests.Namespace), ("deploy.yaml", SyncEngineTests.Deployment), ("a.yaml", SyncEngineTests.ConfigMap("a"))));
        await env.StartAgentAsync(SelfConfig);

        await env.WaitForAsync(async () => await env.GetAsync("apps/v1", "Deployment", "kas-test001", "nginx-deployment") is not null
            && await env.GetAsync("v1", "ConfigMap", "default", "a") is not null, "the first commit is applied");

        // Update.
        await env.PushAsync(env.ConfigRepository, GitOpsEnvironment.ConfigProject, Files(("a.yaml", SyncEngineTests.ConfigMap("a", "2"))));
        await env.WaitForAsync(async () => (await env.GetAsync("v1", "ConfigMap", "default", "a"))?["data"]?["key"]?.GetValue<string>() == "2", "the update is applied");

        // Rename: the old object is pruned.
        await env.PushAsync(env.ConfigRepository, GitOpsEnvironment.ConfigProject, Files(("a.yaml", SyncEngineTests.ConfigMap("b", "2"))));
        await env.WaitForAsync(async () => await env.GetAsync("v1", "ConfigMap", "default", "a") is null
            && await env.GetAsync("v1", "ConfigMap", "default", "b") is not null, "the renamed object replaces the old one");

        // Delete a file: its object is pruned, the others stay.
        await env.PushAsync(env.ConfigRepository, GitOpsEnvironment.ConfigProject, Files(("a.yaml", null)));
        await env.WaitForAsync(async () => await env.GetAsync("v1", "ConfigMap", "default", "b") is null, "the deleted file's object is pruned");
        Assert.NotNull(await env.GetAsync("apps/v1", "Deployment", "kas-test001", "nginx-deployment"));

        // KAS holds the agent's report.
        await env.WaitForAsync(async () => (await env.SyncStatesAsync()).SingleOrDefault() is { } s
            && s.Objects.Any(o => o.ResourceKey == "/ConfigMap/default/b" && o.Result == GitOpsObjectResult.Pruned), "KAS has the latest sync state");
        var state = (await env.SyncStatesAsync()).Single();
        Assert.Equal(GitOpsEnvironment.ConfigProject, state.ProjectId);
        Assert.Equal(env.Agent.Id, state.AgentId);
        Assert.Contains(state.Objects, o => o.ResourceKey == "apps/Deployment/kas-test001/nginx-deployment");
        Assert.Contains(env.AgentLogs.Logs, e => e.Message == "Synced" && (string?)e.Fields.GetValueOrDefault("resourceKey") == "apps/Deployment/kas-test001/nginx-deployment");
    }

    [Fact]
    public async Task A_glob_that_selects_nothing_prunes_nothing()
    {
        await using var env = await GitOpsEnvironment.StartAsync();
        await env.ConfigRepository.CommitAsync(Files(("a.yaml", SyncEngineTests.ConfigMap("a"))));
        await env.StartAgentAsync(SelfConfig);
        await env.WaitForAsync(async () => await env.GetAsync("v1", "ConfigMap", "default", "a") is not null, "the object is applied");

        await env.PushAsync(env.ConfigRepository, GitOpsEnvironment.ConfigProject, Files(
            ($".gitlab/agents/{GitOpsEnvironment.AgentName}/config.yaml", "gitops:\n  manifest_projects:\n  - paths:\n    - glob: 'typo/**/*.yaml'\n")));
        await env.WaitForAsync(async () => (await env.SyncStatesAsync()).SingleOrDefault()?.Message?.Contains("allow_empty_prune", StringComparison.Ordinal) == true,
            "the agent reports that the empty set was not pruned");
        Assert.NotNull(await env.GetAsync("v1", "ConfigMap", "default", "a"));
    }

    [Fact]
    public async Task A_manifest_that_does_not_decode_stops_the_project_without_pruning()
    {
        await using var env = await GitOpsEnvironment.StartAsync();
        await env.ConfigRepository.CommitAsync(Files(("a.yaml", SyncEngineTests.ConfigMap("a"))));
        await env.StartAgentAsync(SelfConfig);
        await env.WaitForAsync(async () => await env.GetAsync("v1", "ConfigMap", "default", "a") is not null, "the object is applied");

        await env.PushAsync(env.ConfigRepository, GitOpsEnvironment.ConfigProject, Files(("a.yaml", null), ("b.yaml", SyncEngineTests.ConfigMap("b")), ("bad.yaml", "kind: [\n")));
        await env.WaitForAsync(async () => (await env.SyncStatesAsync()).SingleOrDefault()?.Message?.Contains("bad.yaml:", StringComparison.Ordinal) == true,
            "the decode error is reported with file:line");
        Assert.Contains("nothing was applied or pruned", (await env.SyncStatesAsync()).Single().Message, StringComparison.Ordinal);
        Assert.NotNull(await env.GetAsync("v1", "ConfigMap", "default", "a"));
        Assert.Null(await env.GetAsync("v1", "ConfigMap", "default", "b"));
    }

    [Fact]
    public async Task With_apply_on_decode_error_the_other_files_apply_nothing_is_pruned_until_the_broken_file_is_fixed()
    {
        await using var env = await GitOpsEnvironment.StartAsync();
        await env.ConfigRepository.CommitAsync(Files(("a.yaml", SyncEngineTests.ConfigMap("a")), ("multi.yaml", SyncEngineTests.ConfigMap("in-broken-file"))));
        // A failed sync is retried with backoff, and a retry would also correct drift: keep retries out of this test so
        // that the drift below is corrected (and reported) by the drift watcher.
        await env.StartAgentAsync(SelfConfig + "    apply_on_decode_error: true\n", o => (o.RetryInitialBackoff, o.RetryMaxBackoff) = (TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5)));
        await env.WaitForAsync(async () => await env.GetAsync("v1", "ConfigMap", "default", "a") is not null
            && await env.GetAsync("v1", "ConfigMap", "default", "in-broken-file") is not null, "the first commit is applied");

        // a.yaml deleted (would be pruned), b.yaml added, multi.yaml changed and broken in its second document (line 8).
        var broken = await env.PushAsync(env.ConfigRepository, GitOpsEnvironment.ConfigProject,
            Files(("a.yaml", null), ("b.yaml", SyncEngineTests.ConfigMap("b")), ("multi.yaml", SyncEngineTests.BrokenFile("in-broken-file", "2")), ("syntax.yaml", "kind: [\n")));
        await env.WaitForAsync(async () => (await env.SyncStatesAsync()).SingleOrDefault()?.CommitId == broken, "the broken commit is reported");
        var state = (await env.SyncStatesAsync()).Single();
        Assert.Equal(GitOpsSyncStatus.Failed, state.Status);
        var fileFailure = Assert.Single(state.Objects, o => o.Source == "multi.yaml:8");
        Assert.Equal(GitOpsObjectResult.Failed, fileFailure.Result);
        Assert.Contains("multi.yaml:8: apiVersion is missing", fileFailure.Message, StringComparison.Ordinal);
        Assert.Contains("not pruned", state.Message, StringComparison.Ordinal);
        Assert.Single(state.Objects, o => o.Source?.StartsWith("syntax.yaml:", StringComparison.Ordinal) == true && o.Result == GitOpsObjectResult.Failed);
        Assert.Contains(state.Objects, o => o.ResourceKey == "/ConfigMap/default/b" && o.Result == GitOpsObjectResult.Applied);
        Assert.NotNull(await env.GetAsync("v1", "ConfigMap", "default", "b"));
        Assert.NotNull(await env.GetAsync("v1", "ConfigMap", "default", "a"));

        // The objects of the files that decoded are watched for drift; the report keeps both file failures.
        var configMaps = (await env.Client.ResolveAsync("v1", "ConfigMap", CancellationToken.None))!;
        await env.Client.ApplyAsync(configMaps, System.Text.Json.Nodes.JsonNode.Parse("""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","namespace":"default"},"data":{"key":"edited"}}
            """)!.AsObject(), "default", "b", "kubectl-edit", dryRun: false, CancellationToken.None);
        await env.WaitForAsync(async () => (await env.SyncStatesAsync()).SingleOrDefault()?.Objects
            .Any(o => o.ResourceKey == "/ConfigMap/default/b" && o.Message?.StartsWith("drift corrected", StringComparison.Ordinal) == true) == true,
            "the drift correction of b is reported");
        Assert.Equal("1", (await env.GetAsync("v1", "ConfigMap", "default", "b"))!["data"]!["key"]!.GetValue<string>());
        Assert.Equal(2, (await env.SyncStatesAsync()).Single().Objects.Count(o => o.ResourceKey.Length == 0 && o.Result == GitOpsObjectResult.Failed));
        Assert.Equal("1", (await env.GetAsync("v1", "ConfigMap", "default", "in-broken-file"))!["data"]!["key"]!.GetValue<string>());
        Assert.Contains(env.AgentLogs.Logs, e => e.Message == "Synced"
            && ((string?)e.Fields.GetValueOrDefault("syncResult"))?.StartsWith("failed: multi.yaml:8: apiVersion is missing", StringComparison.Ordinal) == true);

        // Fixed (multi.yaml corrected, syntax.yaml removed): the file's objects apply and a.yaml's object is pruned again.
        var fixedCommit = await env.PushAsync(env.ConfigRepository, GitOpsEnvironment.ConfigProject,
            Files(("multi.yaml", SyncEngineTests.ConfigMap("in-broken-file", "2")), ("syntax.yaml", null)));
        await env.WaitForAsync(async () => await env.GetAsync("v1", "ConfigMap", "default", "a") is null
            && (await env.GetAsync("v1", "ConfigMap", "default", "in-broken-file"))?["data"]?["key"]?.GetValue<string>() == "2", "the fixed commit applies and prunes");
        await env.WaitForAsync(async () => (await env.SyncStatesAsync()).SingleOrDefault() is { } s && s.CommitId == fixedCommit && s.Status == GitOpsSyncStatus.Synced,
            "the fixed commit is reported synced");
        state = (await env.SyncStatesAsync()).Single();
        Assert.Contains(state.Objects, o => o.ResourceKey == "/ConfigMap/default/a" && o.Result == GitOpsObjectResult.Pruned);
        Assert.DoesNotContain(state.Objects, o => o.Result == GitOpsObjectResult.Failed);
        Assert.NotNull(await env.GetAsync("v1", "ConfigMap", "default", "b"));
    }

    [Fact]
    public async Task Private_project_of_another_config_project_is_refused_and_reported()
    {
        await using var env = await GitOpsEnvironment.StartAsync();
        var other = await env.CreateRepositoryAsync("other/manifests");
        await other.CommitAsync(Files(("a.yaml", SyncEngineTests.ConfigMap("from-other"))));
        await env.Registry.SetProjectVisibilityAsync("other/manifests", isPublic: false);
        await env.StartAgentAsync("gitops:\n  manifest_projects:\n  - id: other/manifests\n");

        await env.WaitForAsync(async () => (await env.SyncStatesAsync()).SingleOrDefault()?.Message?.Contains("manifest_project_grants", StringComparison.Ordinal) == true,
            "the agent reports the permission error");
        Assert.Null(await env.GetAsync("v1", "ConfigMap", "default", "from-other"));

        // Making it public is enough.
        await env.Registry.SetProjectVisibilityAsync("other/manifests", isPublic: true);
        await env.WaitForAsync(async () => await env.GetAsync("v1", "ConfigMap", "default", "from-other") is not null, "the public project is applied");
    }

    [Fact]
    public async Task Drift_of_managed_fields_is_corrected_and_unmanaged_changes_are_left_alone()
    {
        await using var env = await GitOpsEnvironment.StartAsync();
        await env.ConfigRepository.CommitAsync(Files(("ns.yaml", SyncEngineTests.Namespace), ("deploy.yaml", SyncEngineTests.Deployment)));
        await env.StartAgentAsync(SelfConfig);
        await env.WaitForAsync(async () => await env.GetAsync("apps/v1", "Deployment", "kas-test001", "nginx-deployment") is not null, "the deployment is applied");
        await env.AgentLogs.WaitForAsync(e => e.Message.StartsWith("Objects synchronized", StringComparison.Ordinal), "the first sync finished", TimeSpan.FromSeconds(60));
        var resource = (await env.Client.ResolveAsync("apps/v1", "Deployment", CancellationToken.None))!;

        // kubectl-style edit of a managed field (replicas 2 → 7) by another field manager.
        await env.Client.ApplyAsync(resource, System.Text.Json.Nodes.JsonNode.Parse("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"nginx-deployment","namespace":"kas-test001"},"spec":{"replicas":7}}
            """)!.AsObject(), "kas-test001", "nginx-deployment", "kubectl-edit", dryRun: false, CancellationToken.None);
        await env.WaitForAsync(async () => (await env.GetAsync("apps/v1", "Deployment", "kas-test001", "nginx-deployment"))?["spec"]?["replicas"]?.GetValue<long>() == 2,
            "agentk puts replicas back to 2");

        // An unmanaged field (a new label) is left alone and causes no write by agentk.
        await Task.Delay(500);
        env.Cluster.Requests.Reset();
        await env.Client.ApplyAsync(resource, System.Text.Json.Nodes.JsonNode.Parse("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"nginx-deployment","namespace":"kas-test001","labels":{"team":"blue"}}}
            """)!.AsObject(), "kas-test001", "nginx-deployment", "someone", dryRun: false, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var live = await env.GetAsync("apps/v1", "Deployment", "kas-test001", "nginx-deployment");
        Assert.Equal("blue", live!["metadata"]!["labels"]!["team"]!.GetValue<string>());
        Assert.Equal(1, env.Cluster.Requests.Snapshot().Count(r => r.Verb == "patch"));
    }

    [Fact]
    public async Task Periodic_resync_of_an_unchanged_commit_makes_zero_writes()
    {
        await using var env = await GitOpsEnvironment.StartAsync();
        await env.ConfigRepository.CommitAsync(Files(("ns.yaml", SyncEngineTests.Namespace), ("deploy.yaml", SyncEngineTests.Deployment), ("a.yaml", SyncEngineTests.ConfigMap("a"))));
        await env.StartAgentAsync(SelfConfig, o => o.ResyncPeriod = TimeSpan.FromMilliseconds(500));
        await env.WaitForAsync(async () => (await env.SyncStatesAsync()).SingleOrDefault()?.Status == GitOpsSyncStatus.Synced, "the first sync is reported Synced");
        await Task.Delay(1000);

        env.Cluster.Requests.Reset();
        var resyncs = env.AgentLogs.Count(e => e.Message.StartsWith("Synchronizing objects", StringComparison.Ordinal));
        await env.WaitForAsync(() => Task.FromResult(env.AgentLogs.Count(e => e.Message.StartsWith("Synchronizing objects", StringComparison.Ordinal)) >= resyncs + 3), "three resyncs ran");
        Assert.Equal(0, env.Cluster.Requests.WriteCount);
    }

    [Fact]
    public async Task A_newer_commit_cancels_the_sync_in_flight()
    {
        // Without controllers the Deployment never becomes Available: the first sync would wait for readiness for an hour.
        await using var env = await GitOpsEnvironment.StartAsync(clusterOptions: new Gitlab.Agent.Testing.KubernetesApiServerOptions { RunControllers = false });
        await env.ConfigRepository.CommitAsync(Files(("deploy.yaml", SyncEngineTests.Deployment.Replace("namespace: kas-test001", "namespace: default", StringComparison.Ordinal))));
        await env.StartAgentAsync(SelfConfig);
        await env.WaitForAsync(async () => await env.GetAsync("apps/v1", "Deployment", "default", "nginx-deployment") is not null, "the deployment is applied");
        await env.WaitForAsync(async () => (await env.SyncStatesAsync()).SingleOrDefault()?.Status == GitOpsSyncStatus.Syncing, "readiness is awaited");

        await env.PushAsync(env.ConfigRepository, GitOpsEnvironment.ConfigProject, Files(("a.yaml", SyncEngineTests.ConfigMap("next"))));
        await env.WaitForAsync(async () => await env.GetAsync("v1", "ConfigMap", "default", "next") is not null, "the newer commit is applied");
        Assert.Contains(env.AgentLogs.Logs, e => e.Message.Contains("was canceled by a newer commit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Two_manifest_projects_declaring_the_same_object_get_a_clear_error_without_flapping()
    {
        await using var env = await GitOpsEnvironment.StartAsync();
        var other = await env.CreateRepositoryAsync("group/second");
        await other.CommitAsync(Files(("same.yaml", SyncEngineTests.ConfigMap("same", "second"))));
        await env.Registry.SetProjectVisibilityAsync("group/second", isPublic: true);
        await env.ConfigRepository.CommitAsync(Files(("same.yaml", SyncEngineTests.ConfigMap("same", "first"))));
        await env.StartAgentAsync("gitops:\n  manifest_projects:\n  - id: group/project\n  - id: group/second\n    inventory_policy: adopt_all\n");

        await env.WaitForAsync(async () => (await env.SyncStatesAsync()).Count == 2
            && (await env.SyncStatesAsync()).Any(s => s.Objects.Any(o => o.Result == GitOpsObjectResult.Failed && o.Message!.Contains("also declared by manifest project", StringComparison.Ordinal))),
            "the second project reports the overlap");
        var value = (await env.GetAsync("v1", "ConfigMap", "default", "same"))!["data"]!["key"]!.GetValue<string>();
        env.Cluster.Requests.Reset();
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(value, (await env.GetAsync("v1", "ConfigMap", "default", "same"))!["data"]!["key"]!.GetValue<string>());
        Assert.Equal(0, env.Cluster.Requests.WriteCount);
    }

    [Fact]
    public async Task Only_the_worker_whose_configuration_block_changed_restarts_and_removed_ones_stop()
    {
        await using var env = await GitOpsEnvironment.StartAsync();
        var second = await env.CreateRepositoryAsync("group/second");
        await second.CommitAsync(Files(("s.yaml", SyncEngineTests.ConfigMap("second"))));
        await env.Registry.SetProjectVisibilityAsync("group/second", isPublic: true);
        await env.ConfigRepository.CommitAsync(Files(("p.yaml", SyncEngineTests.ConfigMap("first"))));
        await env.StartAgentAsync("gitops:\n  manifest_projects:\n  - id: group/project\n  - id: group/second\n");
        await env.WaitForAsync(async () => await env.GetAsync("v1", "ConfigMap", "default", "second") is not null
            && await env.GetAsync("v1", "ConfigMap", "default", "first") is not null, "both projects are applied");

        await env.PushAsync(env.ConfigRepository, GitOpsEnvironment.ConfigProject, Files(
            ($".gitlab/agents/{GitOpsEnvironment.AgentName}/config.yaml", "gitops:\n  manifest_projects:\n  - id: group/project\n  - id: group/second\n    default_namespace: other\n")));
        await env.WaitForAsync(() => Task.FromResult(Logged(env, "Configuration has been updated, restarting synchronization worker for group/second") == 1), "the second worker restarts");
        Assert.Equal(0, Logged(env, "Configuration has been updated, restarting synchronization worker for group/project"));
        Assert.Equal(1, Logged(env, "Starting synchronization worker for group/project"));

        await env.PushAsync(env.ConfigRepository, GitOpsEnvironment.ConfigProject, Files(
            ($".gitlab/agents/{GitOpsEnvironment.AgentName}/config.yaml", "gitops:\n  manifest_projects:\n  - id: group/project\n")));
        await env.WaitForAsync(() => Task.FromResult(Logged(env, "Stopping synchronization worker for group/second") == 1), "the removed worker stops");
        Assert.Equal(1, Logged(env, "Starting synchronization worker for group/project"));
    }

    private static int Logged(GitOpsEnvironment env, string prefix) =>
        env.AgentLogs.Count(e => e.Message.StartsWith(prefix, StringComparison.Ordinal));

    [Fact]
    public async Task Malformed_deployment_fails_alone_while_crd_custom_resource_and_namespace_are_applied()
    {
        await using var env = await GitOpsEnvironment.StartAsync();
        const string malformed = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: nginx-deployment
              namespace: kas-test001
              replicas: 3
            spec:
              selector: {matchLabels: {app: nginx}}
              template:
                metadata: {labels: {app: nginx}}
                spec: {containers: [{name: nginx, image: nginx:1.14.2}]}
            """;
        const string crd = """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: widgets.example.com}
            spec:
              group: example.com
              scope: Namespaced
              names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
              versions:
              - name: v1
                served: true
                storage: true
                schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
            """;
        const string widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: kas-test001}\nspec: {size: 1}\n";
        await env.ConfigRepository.CommitAsync(Files(("a-widget.yaml", widget), ("b-deploy.yaml", malformed), ("c-crd.yaml", crd), ("d-ns.yaml", SyncEngineTests.Namespace)));
        await env.StartAgentAsync(SelfConfig);

        await env.WaitForAsync(async () => (await env.SyncStatesAsync()).SingleOrDefault()?.Status == GitOpsSyncStatus.Failed, "the sync is reported failed");
        var state = (await env.SyncStatesAsync()).Single();
        var deployment = state.Objects.Single(o => o.ResourceKey == "apps/Deployment/kas-test001/nginx-deployment");
        Assert.Equal(GitOpsObjectResult.Failed, deployment.Result);
        Assert.Contains("metadata.replicas", deployment.Message, StringComparison.Ordinal);
        Assert.Equal("b-deploy.yaml:1", deployment.Source);
        Assert.NotNull(await env.GetAsync("example.com/v1", "Widget", "kas-test001", "w1"));
        Assert.Null(await env.GetAsync("apps/v1", "Deployment", "kas-test001", "nginx-deployment"));
        Assert.Contains(env.AgentLogs.Logs, e => e.Message == "Synced"
            && (string?)e.Fields.GetValueOrDefault("resourceKey") == "apps/Deployment/kas-test001/nginx-deployment"
            && ((string?)e.Fields.GetValueOrDefault("syncResult"))!.StartsWith("failed: strict decoding error: unknown field \"metadata.replicas\"", StringComparison.Ordinal));
    }
}
