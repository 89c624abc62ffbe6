using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Semantics;

namespace Gitlab.Agent.Testing.Tests.Semantics;

/// <summary>
/// The request sequence kubectl produces (reference §1.6/§1.7), run through the semantics the server calls:
/// client-side apply creates and then patches with SMP, and a later server-side apply meets that ownership.
/// </summary>
public class ClientSideToServerSideApplyTests
{
    private static readonly DateTimeOffset Create = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly DateTimeOffset Configure = Create.AddMinutes(5);
    private static readonly DateTimeOffset ServerSide = Create.AddMinutes(10);
    private static readonly TypeSchema Schema = TypeSchema.ForBuiltin("apps", "v1", "Deployment");

    private const string Manifest = """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"x"},
         "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
          "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}
        """;

    private static JsonObject CsaCreated()
    {
        // POST ?fieldManager=kubectl-client-side-apply with the last-applied annotation.
        var body = Json.Obj(Manifest);
        body["metadata"]!["annotations"] = new JsonObject { [FieldManager.LastAppliedAnnotation] = GoFormat.GoJson(Json.Obj(Manifest)) + "\n" };
        body["metadata"]!["uid"] = "u-1";
        body["metadata"]!["resourceVersion"] = "1001";
        body["metadata"]!["creationTimestamp"] = "2025-01-02T03:04:05Z";
        body["metadata"]!["generation"] = 1;
        return FieldManager.RecordUpdate(null, body, "kubectl-client-side-apply", Schema, Create, "apps/v1");
    }

    private static JsonObject CsaConfigured(JsonObject live)
    {
        // PATCH application/strategic-merge-patch+json as kubectl 1.32 sent it for a new image and replica count.
        var patch = Json.Obj("""
            {"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"annotations\":{},\"name\":\"web\",\"namespace\":\"x\"},\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"image\":\"nginx:1.28\",\"name\":\"nginx\"}]}}}}\n"}},
             "spec":{"replicas":3,"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],"containers":[{"image":"nginx:1.28","name":"nginx"}]}}}}
            """);
        var patched = StrategicMergePatch.Apply(live, patch, Schema);
        patched["metadata"]!["resourceVersion"] = "1002";
        return FieldManager.RecordUpdate(live, patched, "kubectl-client-side-apply", Schema, Configure, "apps/v1");
    }

    private static JsonObject ServerSideConfig(int replicas, string image) => Json.Obj(Manifest
        .Replace("\"replicas\":1", $"\"replicas\":{replicas}", StringComparison.Ordinal)
        .Replace("nginx:1.27", image, StringComparison.Ordinal));

    [Fact]
    public void ClientSideApplyOwnsEverythingItSent()
    {
        var live = CsaConfigured(CsaCreated());
        Assert.Equal(3, live["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("nginx:1.28", live["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
        var entry = Assert.Single(FieldManager.ReadManagedFields(live));
        Assert.Equal("kubectl-client-side-apply", entry.Manager);
        Assert.Equal("2025-01-02T03:09:05Z", entry.Time);
        Json.SameText("""
            {"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}},
             "f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},
              "f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{}}}}}}}
            """, entry.Fields.ToFieldsV1());
    }

    [Fact]
    public void ServerSideApplyWithAnotherManagerConflicts()
    {
        var live = CsaConfigured(CsaConfigured(CsaCreated()));
        var result = FieldManager.Apply(live, ServerSideConfig(5, "nginx:1.29"), "x", false, Schema, ServerSide, "apps/v1");
        Assert.Null(result.Object);
        Assert.Equal(
            "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using apps/v1 at 2025-01-02T03:09:05Z:\n" +
            "- .spec.replicas\n- .spec.template.spec.containers[name=\"nginx\"].image",
            FieldManager.FormatConflictMessage(result.Conflicts, "apps/v1"));
        var status = FieldManager.ConflictStatus(result.Conflicts, "apps/v1");
        Assert.Equal(409, status["code"]!.GetValue<int>());
        Assert.Equal(2, status["details"]!["causes"]!.AsArray().Count);
        Assert.Equal(".spec.replicas", status["details"]!["causes"]![0]!["field"]!.GetValue<string>());
    }

    [Fact]
    public void ForceConflictsTakesTheFields()
    {
        var live = CsaConfigured(CsaCreated());
        var result = FieldManager.Apply(live, ServerSideConfig(5, "nginx:1.29"), "x", true, Schema, ServerSide, "apps/v1");
        Assert.Equal(5, result.Object!["spec"]!["replicas"]!.GetValue<int>());
        var csa = FieldManager.ReadManagedFields(result.Object!).Single(e => e.Manager == "kubectl-client-side-apply");
        Assert.DoesNotContain(csa.Fields.Ordered(), p => p.ToString() is ".spec.replicas" or ".spec.template.spec.containers[name=\"nginx\"].image");
        Assert.Contains(csa.Fields.Ordered(), p => p.ToString() == ".spec.selector");
    }

    [Fact]
    public void KubectlServerSideApplyTakesOverWithoutConflictAndUpdatesLastApplied()
    {
        var live = CsaConfigured(CsaCreated());
        var result = FieldManager.Apply(live, ServerSideConfig(5, "nginx:1.29"), "kubectl", false, Schema, ServerSide, "apps/v1");
        Assert.Empty(result.Conflicts);
        Assert.Equal("nginx:1.29", result.Object!["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
        var lastApplied = JsonNode.Parse(result.Object!["metadata"]!["annotations"]![FieldManager.LastAppliedAnnotation]!.GetValue<string>())!;
        Assert.Equal(5, lastApplied["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(["kubectl/Apply", "kubectl-client-side-apply/Update"], FieldManager.ReadManagedFields(result.Object!).Select(e => e.Manager + "/" + e.Operation));
    }

    [Fact]
    public void SameValuesAreSharedAndReapplyIsANoOp()
    {
        var live = CsaConfigured(CsaCreated());
        var first = FieldManager.Apply(live, ServerSideConfig(3, "nginx:1.28"), "x", false, Schema, ServerSide, "apps/v1");
        Assert.Empty(first.Conflicts);
        Assert.True(first.Changed);
        var second = FieldManager.Apply(first.Object, ServerSideConfig(3, "nginx:1.28"), "x", false, Schema, ServerSide.AddMinutes(1), "apps/v1");
        Assert.False(second.Changed);
        Assert.Equal(first.Object!.ToJsonString(), second.Object!.ToJsonString());
    }
}
