using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Gitlab.Agent.Testing.Tests.Infrastructure;

namespace Gitlab.Agent.Testing.Tests.Server;

/// <summary>KubernetesClient against the server: CRUD semantics and Status errors.</summary>
public sealed class ClientCrudTests
{
    private static V1ConfigMap ConfigMap(string name, string ns = "default", IDictionary<string, string>? labels = null, string value = "v") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels },
        Data = new Dictionary<string, string> { ["k"] = value },
    };

    [Fact]
    public async Task Create_assigns_server_owned_metadata_and_rejects_duplicates()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        var before = cluster.ResourceVersion;
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.NotNull(created.Metadata.CreationTimestamp);
        Assert.True(long.Parse(created.Metadata.ResourceVersion) > before);
        Assert.Null(created.Metadata.Generation);

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default"));
        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        Assert.Contains("\"reason\":\"AlreadyExists\"", e.Response.Content, StringComparison.Ordinal);
        Assert.Contains("configmaps \\\"a\\\" already exists", e.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replace_with_stale_resource_version_is_a_conflict()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        created.Data["k"] = "v2";
        var updated = await client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "a", "default");
        Assert.Equal("v2", updated.Data["k"]);
        Assert.NotEqual(created.Metadata.ResourceVersion, updated.Metadata.ResourceVersion);

        created.Data["k"] = "v3";
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "a", "default"));
        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        Assert.Contains("Operation cannot be fulfilled on configmaps \\\"a\\\": the object has been modified; please apply your changes to the latest version and try again", e.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_op_update_keeps_the_resource_version()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        var rv = cluster.ResourceVersion;
        var same = await client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "a", "default");
        Assert.Equal(created.Metadata.ResourceVersion, same.Metadata.ResourceVersion);
        Assert.Equal(rv, cluster.ResourceVersion);
    }

    [Fact]
    public async Task Create_in_missing_namespace_is_not_found()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a", "nons"), "nons"));
        Assert.Equal(HttpStatusCode.NotFound, e.Response.StatusCode);
        Assert.Contains("namespaces \\\"nons\\\" not found", e.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dry_run_create_persists_nothing()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        var rv = cluster.ResourceVersion;
        var result = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default", dryRun: "All");
        Assert.Equal("a", result.Metadata.Name);
        Assert.False(string.IsNullOrEmpty(result.Metadata.Uid));
        Assert.Equal(rv, cluster.ResourceVersion);
        var list = await client.CoreV1.ListNamespacedConfigMapAsync("default");
        Assert.DoesNotContain(list.Items, i => i.Metadata.Name == "a");
    }

    [Fact]
    public async Task Generate_name_creates_unique_names()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        var body = new V1ConfigMap { Metadata = new V1ObjectMeta { GenerateName = "gen-" } };
        var a = await client.CoreV1.CreateNamespacedConfigMapAsync(body, "default");
        var b = await client.CoreV1.CreateNamespacedConfigMapAsync(body, "default");
        Assert.StartsWith("gen-", a.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal(9, a.Metadata.Name.Length);
        Assert.NotEqual(a.Metadata.Name, b.Metadata.Name);
    }

    [Fact]
    public async Task List_filters_by_label_and_field_selectors_and_pages()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap($"cm{i}", labels: new Dictionary<string, string> { ["app"] = i % 2 == 0 ? "web" : "db", ["idx"] = i.ToString() }), "default");
        }

        var web = await client.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: "app in (web),idx!=4");
        Assert.Equal(["cm0", "cm2"], web.Items.Select(i => i.Metadata.Name).Order().ToArray());

        var byName = await client.CoreV1.ListConfigMapForAllNamespacesAsync(fieldSelector: "metadata.name=cm3");
        Assert.Equal("cm3", Assert.Single(byName.Items).Metadata.Name);

        var bad = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespacedConfigMapAsync("default", fieldSelector: "spec.foo=bar"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.Response.StatusCode);
        Assert.Contains("field label not supported: spec.foo", bad.Response.Content, StringComparison.Ordinal);

        var page1 = await client.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: "app", limit: 2);
        Assert.Equal(2, page1.Items.Count);
        Assert.False(string.IsNullOrEmpty(page1.Metadata.ContinueProperty));
        var page2 = await client.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: "app", limit: 2, continueParameter: page1.Metadata.ContinueProperty);
        var page3 = await client.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: "app", limit: 2, continueParameter: page2.Metadata.ContinueProperty);
        Assert.Null(page3.Metadata.ContinueProperty);
        Assert.Equal(["cm0", "cm1", "cm2", "cm3", "cm4"], page1.Items.Concat(page2.Items).Concat(page3.Items).Select(i => i.Metadata.Name).ToArray());
    }

    [Fact]
    public async Task Delete_ordinary_object_answers_success_status()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var raw = new RawApi(cluster);
        using var client = cluster.CreateClient();
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        var (code, body, _) = await raw.DeleteAsync("/api/v1/namespaces/default/configmaps/a", "{\"propagationPolicy\":\"Background\"}");
        Assert.Equal(200, code);
        Assert.Equal("Status", (string?)body!["kind"]);
        Assert.Equal("Success", (string?)body["status"]);
        Assert.Equal("configmaps", (string?)body["details"]!["kind"]);
        Assert.Equal(created.Metadata.Uid, (string?)body["details"]!["uid"]);

        var (code2, body2, _) = await raw.DeleteAsync("/api/v1/namespaces/default/configmaps/a");
        Assert.Equal(404, code2);
        Assert.Equal("configmaps \"a\" not found", (string?)body2!["message"]);
    }

    [Fact]
    public async Task Unknown_paths_and_methods_answer_status_objects()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var raw = new RawApi(cluster);
        var (code, body, _) = await raw.GetAsync("/apis/nothere.example.com/v1/things");
        Assert.Equal(404, code);
        Assert.Equal("the server could not find the requested resource", (string?)body!["message"]);
        Assert.Equal("NotFound", (string?)body["reason"]);

        var (code2, body2, _) = await raw.PostAsync("/api/v1/namespaces/default/configmaps/x", "{}");
        Assert.Equal(405, code2);
        Assert.Equal("MethodNotAllowed", (string?)body2!["reason"]);
    }

    [Fact]
    public async Task Strict_field_validation_rejects_unknown_fields_and_warn_reports_them()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var raw = new RawApi(cluster);
        const string deployment = """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","replicas":3},
             "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}}
            """;
        var (code, body, _) = await raw.PostAsync("/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict", deployment);
        Assert.Equal(400, code);
        Assert.Equal("BadRequest", (string?)body!["reason"]);
        Assert.Equal("Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"metadata.replicas\"", (string?)body["message"]);

        var (code2, body2, response) = await raw.PostAsync("/apis/apps/v1/namespaces/default/deployments?fieldValidation=Warn", deployment);
        Assert.Equal(201, code2);
        Assert.Null(body2!["metadata"]!["replicas"]);
        Assert.Contains("299 - \"unknown field \\\"metadata.replicas\\\"\"", response.Headers.GetValues("Warning"));
    }

    [Fact]
    public async Task Generation_tracks_spec_changes_and_status_is_split()
    {
        await using var cluster = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { RunControllers = false });
        using var client = cluster.CreateClient();
        var d = new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "web" },
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web" } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "nginx:1.27" }] },
                },
            },
            Status = new V1DeploymentStatus { Replicas = 99 },
        };
        var created = await client.AppsV1.CreateNamespacedDeploymentAsync(d, "default");
        Assert.Equal(1, created.Metadata.Generation);
        Assert.Null(created.Status?.Replicas);
        Assert.Equal("RollingUpdate", created.Spec.Strategy.Type);

        created.Metadata.Labels = new Dictionary<string, string> { ["x"] = "y" };
        var labelled = await client.AppsV1.ReplaceNamespacedDeploymentAsync(created, "web", "default");
        Assert.Equal(1, labelled.Metadata.Generation);

        labelled.Spec.Replicas = 3;
        labelled.Status = new V1DeploymentStatus { Replicas = 42 };
        var scaled = await client.AppsV1.ReplaceNamespacedDeploymentAsync(labelled, "web", "default");
        Assert.Equal(2, scaled.Metadata.Generation);
        Assert.Null(scaled.Status?.Replicas);

        scaled.Status = new V1DeploymentStatus { Replicas = 3, ObservedGeneration = 2 };
        scaled.Spec.Replicas = 7;
        var withStatus = await client.AppsV1.ReplaceNamespacedDeploymentStatusAsync(scaled, "web", "default");
        Assert.Equal(3, withStatus.Status.Replicas);
        Assert.Equal(3, withStatus.Spec.Replicas);
        Assert.Equal(2, withStatus.Metadata.Generation);
    }

    [Fact]
    public async Task Validation_errors_are_invalid_with_causes()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var raw = new RawApi(cluster);
        var (code, body, _) = await raw.PostAsync("/apis/apps/v1/namespaces/default/deployments",
            """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"nginx"}]}}}}""");
        Assert.Equal(422, code);
        Assert.Equal("Invalid", (string?)body!["reason"]);
        Assert.Equal("Deployment.apps \"web\" is invalid: spec.selector: Required value", (string?)body["message"]);
        var cause = body["details"]!["causes"]![0]!;
        Assert.Equal("FieldValueRequired", (string?)cause["reason"]);
        Assert.Equal("spec.selector", (string?)cause["field"]);
        Assert.Equal("Deployment", (string?)body["details"]!["kind"]);
    }

    [Fact]
    public async Task Dry_run_update_patch_and_delete_change_nothing()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        using var raw = new RawApi(cluster);
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        var rv = cluster.ResourceVersion;

        created.Data["k"] = "dry";
        var replaced = await client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "a", "default", dryRun: "All");
        Assert.Equal("dry", replaced.Data["k"]);

        var (patchCode, patched, _) = await raw.PatchAsync("/api/v1/namespaces/default/configmaps/a?dryRun=All", """{"data":{"k":"merge"}}""", "application/merge-patch+json");
        Assert.Equal(200, patchCode);
        Assert.Equal("merge", (string?)patched!["data"]!["k"]);

        var (deleteCode, _, _) = await raw.DeleteAsync("/api/v1/namespaces/default/configmaps/a?dryRun=All");
        Assert.Equal(200, deleteCode);

        Assert.Equal(rv, cluster.ResourceVersion);
        var stored = await client.CoreV1.ReadNamespacedConfigMapAsync("a", "default");
        Assert.Equal("v", stored.Data["k"]);

        var (badCode, bad, _) = await raw.DeleteAsync("/api/v1/namespaces/default/configmaps/a?dryRun=Some");
        Assert.Equal(422, badCode);
        Assert.Equal("DeleteOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"Some\"}: supported values: \"All\"", (string?)bad!["message"]);
    }

    [Fact]
    public async Task Json_patch_failures_and_resource_version_preconditions()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        using var raw = new RawApi(cluster);
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        var (code, body, _) = await raw.PatchAsync("/api/v1/namespaces/default/configmaps/a", """[{"op":"test","path":"/data/k","value":"other"}]""", "application/json-patch+json");
        Assert.Equal(422, code);
        Assert.Equal("the server rejected our request due to an error in our request", (string?)body!["message"]);

        var stale = $$"""[{"op":"replace","path":"/data/k","value":"x"},{"op":"replace","path":"/metadata/resourceVersion","value":"1"}]""";
        var (staleCode, staleBody, _) = await raw.PatchAsync("/api/v1/namespaces/default/configmaps/a", stale, "application/json-patch+json");
        Assert.Equal(409, staleCode);
        Assert.Equal("Conflict", (string?)staleBody!["reason"]);

        var current = $$"""[{"op":"replace","path":"/data/k","value":"x"},{"op":"replace","path":"/metadata/resourceVersion","value":"{{created.Metadata.ResourceVersion}}"}]""";
        var (okCode, ok, _) = await raw.PatchAsync("/api/v1/namespaces/default/configmaps/a", current, "application/json-patch+json");
        Assert.Equal(200, okCode);
        Assert.Equal("x", (string?)ok!["data"]!["k"]);

        var (mediaCode, media, _) = await raw.PatchAsync("/api/v1/namespaces/default/configmaps/a", "{}", "text/plain");
        Assert.Equal(415, mediaCode);
        Assert.Equal("UnsupportedMediaType", (string?)media!["reason"]);
    }
}
