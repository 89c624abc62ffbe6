using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Semantics;

namespace Gitlab.Agent.Testing.Tests.Semantics;

public class FieldManagerTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly DateTimeOffset T1 = T0.AddMinutes(1);
    private static readonly DateTimeOffset T2 = T0.AddMinutes(2);
    private static readonly TypeSchema ConfigMapSchema = TypeSchema.ForBuiltin("", "v1", "ConfigMap");
    private static readonly TypeSchema DeploymentSchema = TypeSchema.ForBuiltin("apps", "v1", "Deployment");

    /// <summary>What the server stores on create: the request plus server-owned metadata.</summary>
    private static JsonObject Stored(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        var meta = copy["metadata"]!.AsObject();
        meta["uid"] = "6f0c5b2e-0000-4000-8000-000000000001";
        meta["resourceVersion"] = "1001";
        meta["creationTimestamp"] = "2025-01-02T03:04:05Z";
        return copy;
    }

    private static JsonObject CsaConfigMap(string value) => Stored(Json.Obj("""
        {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"x",
          "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"v1\",\"data\":{\"key\":\"VALUE\",\"other\":\"o\"},\"kind\":\"ConfigMap\",\"metadata\":{\"annotations\":{},\"name\":\"cfg\",\"namespace\":\"x\"}}\n"}},
         "data":{"key":"VALUE","other":"o"}}
        """.Replace("VALUE", value, StringComparison.Ordinal)));

    private static JsonObject ApplyCm(string data) => Json.Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"x"},"data":DATA}""".Replace("DATA", data, StringComparison.Ordinal));

    private static JsonObject Fields(JsonObject obj, string manager, string operation = "Apply")
        => obj["metadata"]!["managedFields"]!.AsArray().Single(e => e!["manager"]!.GetValue<string>() == manager && e["operation"]!.GetValue<string>() == operation)!["fieldsV1"]!.AsObject();

    private static IEnumerable<string> Managers(JsonObject obj)
        => obj["metadata"]!["managedFields"]!.AsArray().Select(e => e!["manager"]!.GetValue<string>() + "/" + e["operation"]!.GetValue<string>());

    [Fact]
    public void CreateRecordsUpdateEntryLikeTheApiserver()
    {
        var created = FieldManager.RecordUpdate(null, CsaConfigMap("value1"), "kubectl-client-side-apply", ConfigMapSchema, T0, "v1");
        Json.SameText("""
            [{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"v1","time":"2025-01-02T03:04:05Z","fieldsType":"FieldsV1",
              "fieldsV1":{"f:data":{".":{},"f:key":{},"f:other":{}},"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}}]
            """, created["metadata"]!["managedFields"]);
    }

    [Fact]
    public void DeploymentCreateEncodesListItemsWithKeysAndSelf()
    {
        var deployment = Stored(Json.Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"x","labels":{"app":"web"}},
             "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
              "template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
               "spec":{"containers":[{"name":"nginx","image":"nginx","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{}}]}},
              "strategy":{}},
             "status":{}}
            """));
        var created = FieldManager.RecordUpdate(null, deployment, "kubectl-create", DeploymentSchema, T0, "apps/v1");
        Json.SameText("""
            {"f:metadata":{"f:labels":{".":{},"f:app":{}}},
             "f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},
               "f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{},
                 "f:ports":{".":{},"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:protocol":{}}},"f:resources":{}}}}}}}
            """, Fields(created, "kubectl-create", "Update"));
    }

    [Fact]
    public void ApplyEntryHasNoSelfMarkersForStructFieldsButHasThemForListItems()
    {
        var result = FieldManager.Apply(null, Json.Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"},"finalizers":["example.com/f"]},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
               "spec":{"containers":[{"name":"nginx","image":"nginx","ports":[{"containerPort":80}]}]}}}}
            """), "x", false, DeploymentSchema, T0, "apps/v1");
        Assert.Empty(result.Conflicts);
        Assert.True(result.Changed);
        var entry = result.Object!["metadata"]!["managedFields"]![0]!;
        Json.SameText("""
            {"manager":"x","operation":"Apply","apiVersion":"apps/v1","time":"2025-01-02T03:04:05Z","fieldsType":"FieldsV1","fieldsV1":
             {"f:metadata":{"f:finalizers":{"v:\"example.com/f\"":{}},"f:labels":{"f:app":{}}},
              "f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},
                "f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{},
                  "f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}}}
            """, entry);
    }

    [Fact]
    public void ServerSideApplyConflictsWithClientSideApply()
    {
        var live = FieldManager.RecordUpdate(null, CsaConfigMap("value1"), "kubectl-client-side-apply", ConfigMapSchema, T0, "v1");
        var result = FieldManager.Apply(live, ApplyCm("""{"key":"value2","other":"o"}"""), "x", false, ConfigMapSchema, T1, "v1");
        Assert.Null(result.Object);
        Assert.False(result.Changed);
        var conflict = Assert.Single(result.Conflicts);
        Assert.Equal(".data.key", conflict.Path);
        Assert.Equal(
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1 at 2025-01-02T03:04:05Z: .data.key",
            FieldManager.FormatConflictMessage(result.Conflicts, "v1"));
        Json.SameText("""
            {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
             "message":"Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1 at 2025-01-02T03:04:05Z: .data.key",
             "reason":"Conflict","details":{"causes":[{"reason":"FieldManagerConflict","message":"conflict with \"kubectl-client-side-apply\" using v1 at 2025-01-02T03:04:05Z","field":".data.key"}]},"code":409}
            """, FieldManager.ConflictStatus(result.Conflicts, "v1"));
    }

    [Fact]
    public void SameValueIsSharedOwnershipWithoutConflict()
    {
        var live = FieldManager.RecordUpdate(null, CsaConfigMap("value1"), "kubectl-client-side-apply", ConfigMapSchema, T0, "v1");
        var result = FieldManager.Apply(live, ApplyCm("""{"key":"value1"}"""), "x", false, ConfigMapSchema, T1, "v1");
        Assert.Empty(result.Conflicts);
        Json.SameText("""{"f:data":{"f:key":{}}}""", Fields(result.Object!, "x"));
        Json.SameText("""{"f:data":{".":{},"f:key":{},"f:other":{}},"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}""",
            Fields(result.Object!, "kubectl-client-side-apply", "Update"));
        Assert.Equal(["x/Apply", "kubectl-client-side-apply/Update"], Managers(result.Object!));
    }

    [Fact]
    public void ForceTransfersOwnership()
    {
        var live = FieldManager.RecordUpdate(null, CsaConfigMap("value1"), "kubectl-client-side-apply", ConfigMapSchema, T0, "v1");
        var result = FieldManager.Apply(live, ApplyCm("""{"key":"value2"}"""), "x", true, ConfigMapSchema, T1, "v1");
        Assert.Empty(result.Conflicts);
        Assert.Equal("value2", result.Object!["data"]!["key"]!.GetValue<string>());
        Assert.Equal("o", result.Object!["data"]!["other"]!.GetValue<string>());
        Json.SameText("""{"f:data":{".":{},"f:other":{}},"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}""",
            Fields(result.Object!, "kubectl-client-side-apply", "Update"));
        Json.SameText("""{"f:data":{"f:key":{}}}""", Fields(result.Object!, "x"));
        Assert.Equal("2025-01-02T03:05:05Z", result.Object!["metadata"]!["managedFields"]![0]!["time"]!.GetValue<string>());
    }

    [Fact]
    public void KubectlManagerMayTakeOverClientSideApplyFieldsAndSyncsLastApplied()
    {
        var live = FieldManager.RecordUpdate(null, CsaConfigMap("value1"), "kubectl-client-side-apply", ConfigMapSchema, T0, "v1");
        var result = FieldManager.Apply(live, ApplyCm("""{"key":"value2","other":"o"}"""), "kubectl", false, ConfigMapSchema, T1, "v1");
        Assert.Empty(result.Conflicts);
        Assert.Equal("value2", result.Object!["data"]!["key"]!.GetValue<string>());
        Assert.Equal(
            "{\"apiVersion\":\"v1\",\"data\":{\"key\":\"value2\",\"other\":\"o\"},\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cfg\",\"namespace\":\"x\"}}\n",
            result.Object!["metadata"]!["annotations"]![FieldManager.LastAppliedAnnotation]!.GetValue<string>());
        Json.SameText("""{"f:data":{".":{},"f:other":{}},"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}""",
            Fields(result.Object!, "kubectl-client-side-apply", "Update"));
    }

    [Fact]
    public void KubectlManagerStillConflictsWhenLiveDriftedFromLastApplied()
    {
        var live = FieldManager.RecordUpdate(null, CsaConfigMap("value1"), "kubectl-client-side-apply", ConfigMapSchema, T0, "v1");
        var edited = (JsonObject)live.DeepClone();
        edited["data"]!["key"] = "edited";
        live = FieldManager.RecordUpdate(live, edited, "kubectl-edit", ConfigMapSchema, T1, "v1");
        var result = FieldManager.Apply(live, ApplyCm("""{"key":"value2"}"""), "kubectl", false, ConfigMapSchema, T2, "v1");
        Assert.Equal(
            "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1 at 2025-01-02T03:05:05Z: .data.key",
            FieldManager.FormatConflictMessage(Assert.Single(result.Conflicts) is var c ? [c] : [], "v1"));
    }

    [Fact]
    public void FieldsTheApplierStopsSendingAreRemovedUnlessSomeoneElseOwnsThem()
    {
        var first = FieldManager.Apply(null, ApplyCm("""{"a":"1","b":"2","c":"3"}"""), "x", false, ConfigMapSchema, T0, "v1").Object!;
        var shared = FieldManager.Apply(first, ApplyCm("""{"c":"3"}"""), "y", false, ConfigMapSchema, T1, "v1").Object!;
        var result = FieldManager.Apply(shared, ApplyCm("""{"a":"1"}"""), "x", false, ConfigMapSchema, T2, "v1");
        Json.Equal("""{"a":"1","c":"3"}""", result.Object!["data"]);
        Json.SameText("""{"f:data":{"f:a":{}}}""", Fields(result.Object!, "x"));
        Json.SameText("""{"f:data":{"f:c":{}}}""", Fields(result.Object!, "y"));
    }

    [Fact]
    public void RemovingTheLastFieldOfAMapRemovesTheMap()
    {
        var first = FieldManager.Apply(null, ApplyCm("""{"a":"1"}"""), "x", false, ConfigMapSchema, T0, "v1").Object!;
        var result = FieldManager.Apply(first, Json.Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"x","labels":{"l":"v"}}}"""), "x", false, ConfigMapSchema, T1, "v1");
        Assert.False(result.Object!.ContainsKey("data"));
        Json.SameText("""{"f:metadata":{"f:labels":{"f:l":{}}}}""", Fields(result.Object!, "x"));
    }

    [Fact]
    public void FieldsKeptWhenAnUpdaterOwnsThem()
    {
        var first = FieldManager.Apply(null, ApplyCm("""{"a":"1","b":"2"}"""), "x", false, ConfigMapSchema, T0, "v1").Object!;
        var edited = (JsonObject)first.DeepClone();
        edited["data"]!["b"] = "edited";
        var afterEdit = FieldManager.RecordUpdate(first, edited, "kubectl-edit", ConfigMapSchema, T1, "v1");
        Json.SameText("""{"f:data":{"f:a":{}}}""", Fields(afterEdit, "x"));
        var result = FieldManager.Apply(afterEdit, ApplyCm("""{"a":"1"}"""), "x", false, ConfigMapSchema, T2, "v1");
        Json.Equal("""{"a":"1","b":"edited"}""", result.Object!["data"]);
    }

    [Fact]
    public void NoOpApplyIsUnchanged()
    {
        var first = FieldManager.Apply(null, ApplyCm("""{"a":"1"}"""), "x", false, ConfigMapSchema, T0, "v1").Object!;
        var stored = Stored(first);
        var again = FieldManager.Apply(stored, ApplyCm("""{"a":"1"}"""), "x", false, ConfigMapSchema, T1, "v1");
        Assert.False(again.Changed);
        Json.Equal(stored.ToJsonString(), again.Object);
    }

    [Fact]
    public void ListMapItemsMergeByKeyAndEachManagerOwnsItsItems()
    {
        static JsonObject Containers(string containers) => Json.Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
             "spec":{"template":{"spec":{"containers":LIST}}}}
            """.Replace("LIST", containers, StringComparison.Ordinal));
        var first = FieldManager.Apply(null, Containers("""[{"name":"nginx","image":"nginx:1"}]"""), "x", false, DeploymentSchema, T0, "apps/v1").Object!;
        var second = FieldManager.Apply(first, Containers("""[{"name":"sidecar","image":"busybox"}]"""), "y", false, DeploymentSchema, T1, "apps/v1").Object!;
        Json.Equal("""[{"name":"nginx","image":"nginx:1"},{"name":"sidecar","image":"busybox"}]""", second["spec"]!["template"]!["spec"]!["containers"]);
        var third = FieldManager.Apply(second, Containers("""[{"name":"nginx","image":"nginx:2"}]"""), "x", false, DeploymentSchema, T2, "apps/v1").Object!;
        Json.Equal("""[{"name":"nginx","image":"nginx:2"},{"name":"sidecar","image":"busybox"}]""", third["spec"]!["template"]!["spec"]!["containers"]);
        var conflict = FieldManager.Apply(third, Containers("""[{"name":"sidecar","image":"alpine"}]"""), "x", false, DeploymentSchema, T2, "apps/v1");
        Assert.Equal(".spec.template.spec.containers[name=\"sidecar\"].image", Assert.Single(conflict.Conflicts).Path);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"y\": .spec.template.spec.containers[name=\"sidecar\"].image",
            FieldManager.FormatConflictMessage(conflict.Conflicts, "apps/v1"));
        var dropped = FieldManager.Apply(third, Containers("[]"), "y", false, DeploymentSchema, T2, "apps/v1").Object!;
        Json.Equal("""[{"name":"nginx","image":"nginx:2"}]""", dropped["spec"]!["template"]!["spec"]!["containers"]);
    }

    [Fact]
    public void ItemsAnotherManagerChangedStayWholeWhenTheApplierDropsThem()
    {
        static JsonObject Containers(string containers) => Json.Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
             "spec":{"template":{"spec":{"containers":LIST}}}}
            """.Replace("LIST", containers, StringComparison.Ordinal));
        var applied = FieldManager.Apply(null, Containers("""[{"name":"nginx","image":"nginx:1","args":["-v"]},{"name":"log","image":"fluent"}]"""), "x", false, DeploymentSchema, T0, "apps/v1").Object!;
        var edited = (JsonObject)applied.DeepClone();
        edited["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = "nginx:2";
        var afterEdit = FieldManager.RecordUpdate(applied, edited, "editor", DeploymentSchema, T1, "apps/v1");
        var result = FieldManager.Apply(afterEdit, Containers("""[{"name":"log","image":"fluent"}]"""), "x", false, DeploymentSchema, T2, "apps/v1");
        Json.Equal("""[{"name":"nginx","image":"nginx:2"},{"name":"log","image":"fluent"}]""", result.Object!["spec"]!["template"]!["spec"]!["containers"]);
    }

    [Fact]
    public void SetListsMergeAndOwnValues()
    {
        static JsonObject Finalizers(string list) => Json.Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","finalizers":LIST}}""".Replace("LIST", list, StringComparison.Ordinal));
        var first = FieldManager.Apply(null, Finalizers("""["a"]"""), "x", false, ConfigMapSchema, T0, "v1").Object!;
        var second = FieldManager.Apply(first, Finalizers("""["b"]"""), "y", false, ConfigMapSchema, T1, "v1").Object!;
        Json.Equal("""["a","b"]""", second["metadata"]!["finalizers"]);
        Json.SameText("""{"f:metadata":{"f:finalizers":{"v:\"b\"":{}}}}""", Fields(second, "y"));
        var third = FieldManager.Apply(second, Finalizers("[]"), "x", false, ConfigMapSchema, T2, "v1").Object!;
        Json.Equal("""["b"]""", third["metadata"]!["finalizers"]);
    }

    [Fact]
    public void AtomicFieldsConflictAsAWhole()
    {
        static JsonObject Selector(string labels) => Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"selector":{"matchLabels":LABELS}}}""".Replace("LABELS", labels, StringComparison.Ordinal));
        var first = FieldManager.Apply(null, Selector("""{"app":"web"}"""), "x", false, DeploymentSchema, T0, "apps/v1").Object!;
        Json.SameText("""{"f:spec":{"f:selector":{}}}""", Fields(first, "x"));
        var result = FieldManager.Apply(first, Selector("""{"app":"web","tier":"fe"}"""), "y", false, DeploymentSchema, T1, "apps/v1");
        Assert.Equal(".spec.selector", Assert.Single(result.Conflicts).Path);
    }

    [Fact]
    public void SeveralConflictsAreGroupedBySortedManager()
    {
        var created = FieldManager.RecordUpdate(null, Stored(Json.Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
             "spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1"}]}}}}
            """)), "m", DeploymentSchema, T0, "apps/v1");
        var scaled = (JsonObject)created.DeepClone();
        scaled["spec"]!["replicas"] = 3;
        scaled = FieldManager.RecordUpdate(created, scaled, "autoscaler", DeploymentSchema, T1, "apps/v1");
        var result = FieldManager.Apply(scaled, Json.Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
             "spec":{"replicas":5,"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:2"}]}}}}
            """), "x", false, DeploymentSchema, T2, "apps/v1");
        Assert.Equal(
            "Apply failed with 2 conflicts: conflicts with \"autoscaler\" using apps/v1 at 2025-01-02T03:05:05Z:\n- .spec.replicas\n" +
            "conflicts with \"m\" using apps/v1 at 2025-01-02T03:04:05Z:\n- .spec.template.spec.containers[name=\"nginx\"].image",
            FieldManager.FormatConflictMessage(result.Conflicts, "apps/v1"));

        var twoPaths = FieldManager.Apply(created, Json.Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
             "spec":{"replicas":5,"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:2"}]}}}}
            """), "x", false, DeploymentSchema, T2, "apps/v1");
        Assert.Equal(
            "Apply failed with 2 conflicts: conflicts with \"m\" using apps/v1 at 2025-01-02T03:04:05Z:\n- .spec.replicas\n- .spec.template.spec.containers[name=\"nginx\"].image",
            FieldManager.FormatConflictMessage(twoPaths.Conflicts, "apps/v1"));
    }

    [Fact]
    public void UpdateTakesFieldsFromAppliersAndMergesWithItsPreviousEntry()
    {
        var applied = FieldManager.Apply(null, ApplyCm("""{"a":"1","b":"2"}"""), "x", false, ConfigMapSchema, T0, "v1").Object!;
        var edit1 = (JsonObject)applied.DeepClone();
        edit1["data"]!["a"] = "A";
        var afterEdit1 = FieldManager.RecordUpdate(applied, edit1, "editor", ConfigMapSchema, T1, "v1");
        var edit2 = (JsonObject)afterEdit1.DeepClone();
        edit2["data"]!["b"] = "B";
        var afterEdit2 = FieldManager.RecordUpdate(afterEdit1, edit2, "editor", ConfigMapSchema, T2, "v1");
        Json.SameText("""{"f:data":{"f:a":{},"f:b":{}}}""", Fields(afterEdit2, "editor", "Update"));
        Assert.Equal(["editor/Update"], Managers(afterEdit2).Where(m => m.StartsWith("editor", StringComparison.Ordinal)));
        Assert.DoesNotContain("x/Apply", Managers(afterEdit2));
        Assert.Equal("2025-01-02T03:06:05Z", afterEdit2["metadata"]!["managedFields"]!.AsArray().Single(e => e!["manager"]!.GetValue<string>() == "editor")!["time"]!.GetValue<string>());
    }

    [Fact]
    public void UpdateWithoutChangesKeepsEntries()
    {
        var created = FieldManager.RecordUpdate(null, CsaConfigMap("v"), "kubectl-client-side-apply", ConfigMapSchema, T0, "v1");
        var same = FieldManager.RecordUpdate(created, (JsonObject)created.DeepClone(), "other", ConfigMapSchema, T1, "v1");
        Json.SameText(created.ToJsonString(), same);
    }

    [Fact]
    public void StatusSubresourceUpdatesAreRecordedSeparately()
    {
        var created = FieldManager.RecordUpdate(null, Stored(Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":1}}""")), "kubectl-create", DeploymentSchema, T0, "apps/v1");
        var withStatus = (JsonObject)created.DeepClone();
        withStatus["status"] = Json.Obj("""{"replicas":1,"conditions":[{"type":"Available","status":"True"}]}""");
        var updated = FieldManager.RecordUpdate(created, withStatus, "controller", DeploymentSchema, T1, "apps/v1", "status");
        var entry = updated["metadata"]!["managedFields"]!.AsArray().Single(e => e!["manager"]!.GetValue<string>() == "controller")!;
        Assert.Equal("status", entry["subresource"]!.GetValue<string>());
        Json.SameText("""{"f:status":{".":{},"f:conditions":{".":{},"k:{\"type\":\"Available\"}":{".":{},"f:status":{},"f:type":{}}},"f:replicas":{}}}""", entry["fieldsV1"]);
    }

    [Fact]
    public void MainResourceApplyNeverOwnsOrChangesStatus()
    {
        var result = FieldManager.Apply(null, Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":1},"status":{"replicas":9}}"""), "x", false, DeploymentSchema, T0, "apps/v1");
        Assert.False(result.Object!.ContainsKey("status"));
        Json.SameText("""{"f:spec":{"f:replicas":{}}}""", Fields(result.Object!, "x"));
    }

    [Fact]
    public void ClientMayReplaceManagedFieldsLikeKubectlMigration()
    {
        var live = FieldManager.RecordUpdate(null, CsaConfigMap("value1"), "kubectl-client-side-apply", ConfigMapSchema, T0, "v1");
        var migrated = (JsonObject)live.DeepClone();
        migrated["metadata"]!["managedFields"] = JsonNode.Parse("""
            [{"manager":"x","operation":"Apply","apiVersion":"v1","time":"2025-01-02T03:04:05Z","fieldsType":"FieldsV1",
              "fieldsV1":{"f:data":{"f:key":{},"f:other":{}},"f:metadata":{"f:annotations":{"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}}]
            """);
        var stored = FieldManager.RecordUpdate(live, migrated, "x", ConfigMapSchema, T1, "v1");
        Assert.Equal(["x/Apply"], Managers(stored));
        var reapplied = FieldManager.Apply(stored, ApplyCm("""{"key":"value2","other":"o"}"""), "x", false, ConfigMapSchema, T2, "v1");
        Assert.Empty(reapplied.Conflicts);
        Assert.Equal("value2", reapplied.Object!["data"]!["key"]!.GetValue<string>());

        var cleared = (JsonObject)live.DeepClone();
        cleared["metadata"]!["managedFields"] = JsonNode.Parse("[{}]");
        Assert.False(FieldManager.RecordUpdate(live, cleared, "x", ConfigMapSchema, T1, "v1")["metadata"]!.AsObject().ContainsKey("managedFields"));
    }

    [Fact]
    public void ObjectsWithoutManagedFieldsAreOwnedByBeforeFirstApply()
    {
        var seeded = Stored(ApplyCm("""{"a":"1"}"""));
        var result = FieldManager.Apply(seeded, ApplyCm("""{"a":"2"}"""), "x", false, ConfigMapSchema, T1, "v1");
        Assert.Equal("Apply failed with 1 conflict: conflict with \"before-first-apply\" using v1: .data.a", FieldManager.FormatConflictMessage(result.Conflicts, "v1"));
    }

    [Fact]
    public void ExplicitNullRemovesScalar()
    {
        var first = FieldManager.Apply(null, Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2,"paused":true}}"""), "x", false, DeploymentSchema, T0, "apps/v1").Object!;
        var result = FieldManager.Apply(first, Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":null,"paused":true}}"""), "x", false, DeploymentSchema, T1, "apps/v1");
        Json.Equal("""{"paused":true}""", result.Object!["spec"]);
    }

    [Theory]
    [InlineData("""{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"cfg"}}""", 400, "Incorrect version specified in apply patch. Specified patch version: apps/v1, expected: v1")]
    [InlineData("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","managedFields":[]}}""", 400, "metadata.managedFields must be nil")]
    public void RejectsInvalidApplyConfigurations(string config, int status, string message)
    {
        var error = Assert.Throws<PatchException>(() => FieldManager.Apply(null, Json.Obj(config), "x", false, ConfigMapSchema, T0, "v1"));
        Assert.Equal(status, error.StatusCode);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void ListMapItemWithoutKeyIsRejected()
    {
        var error = Assert.Throws<PatchException>(() => FieldManager.Apply(null,
            Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}"""),
            "x", false, DeploymentSchema, T0, "apps/v1"));
        Assert.Equal(500, error.StatusCode);
        Assert.Equal("failed to create typed patch object (apps/v1, Kind=Deployment): .spec.template.spec.containers: element 0: associative list with keys has an element that omits key field \"name\" (and doesn't have default value)", error.Message);
    }

    [Fact]
    public void CustomResourceWithoutSchemaOwnsObjectsWithSelfMarkers()
    {
        var schema = TypeSchema.FromOpenApiV3(null);
        var result = FieldManager.Apply(null, Json.Obj("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":1,"list":[1,2]}}"""), "x", false, schema, T0, "example.com/v1");
        Json.SameText("""{"f:spec":{".":{},"f:list":{},"f:size":{}}}""", Fields(result.Object!, "x"));
    }

    [Theory]
    [InlineData("kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07", "kubectl")]
    [InlineData("kubernetes-csharp/21.0.8+75f253d651", "kubernetes-csharp")]
    [InlineData("curl", "curl")]
    [InlineData("", "")]
    [InlineData(null, "")]
    [InlineData("a\u0001b/1", "ab")]
    public void DefaultManagerIsUserAgentPrefix(string? userAgent, string expected)
        => Assert.Equal(expected, FieldManager.DefaultManagerFromUserAgent(userAgent));

    [Fact]
    public void DefaultManagerIsTruncatedTo128Bytes()
        => Assert.Equal(128, FieldManager.DefaultManagerFromUserAgent(new string('a', 300)).Length);
}

public class FieldManagerCapTests
{
    [Fact]
    public void OldestUpdatersAreMergedIntoAncientChangesBeyondTen()
    {
        var schema = TypeSchema.ForBuiltin("", "v1", "ConfigMap");
        var start = new DateTimeOffset(2025, 1, 2, 3, 0, 0, TimeSpan.Zero);
        var obj = FieldManager.RecordUpdate(null, Json.Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"data":{"k0":"v"}}"""), "m0", schema, start, "v1");
        for (var i = 1; i <= 10; i++)
        {
            var next = (JsonObject)obj.DeepClone();
            next["data"]![$"k{i}"] = "v";
            obj = FieldManager.RecordUpdate(obj, next, $"m{i}", schema, start.AddMinutes(i), "v1");
        }

        var entries = FieldManager.ReadManagedFields(obj);
        Assert.Equal(10, entries.Count);
        var ancient = Assert.Single(entries, e => e.Manager == "ancient-changes");
        Assert.Equal(["m0", "m1"], new[] { "m0", "m1" }.Where(m => entries.All(e => e.Manager != m)));
        Assert.Equal(".data, .data.k0, .data.k1", ancient.Fields.ToString());
        Assert.Equal("2025-01-02T03:01:00Z", ancient.Time);
    }
}
