using Gitlab.Agent.Testing.Semantics;

namespace Gitlab.Agent.Testing.Tests.Semantics;

public class StrategicMergePatchTests
{
    private static readonly TypeSchema Deployment = TypeSchema.ForBuiltin("apps", "v1", "Deployment");

    private const string Web = """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web","tier":"fe"},"finalizers":["a","b"]},
         "spec":{"replicas":1,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},
          "template":{"metadata":{"labels":{"app":"web"}},"spec":{
            "tolerations":[{"key":"x","operator":"Exists"}],
            "volumes":[{"name":"cfg","configMap":{"name":"cfg"}}],
            "containers":[
              {"name":"nginx","image":"nginx:1.27","ports":[{"containerPort":80},{"containerPort":443}],
               "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"volumeMounts":[{"name":"cfg","mountPath":"/etc/cfg"}]},
              {"name":"sidecar","image":"busybox"}]}}}}
        """;

    private static string Patch(string patch) => StrategicMergePatch.Apply(Json.Obj(Web), Json.Obj(patch), Deployment).ToJsonString();

    private static System.Text.Json.Nodes.JsonNode? At(string result, params object[] path)
    {
        System.Text.Json.Nodes.JsonNode? node = Json.Obj(result);
        foreach (var segment in path)
        {
            node = segment is int i ? node![i] : node![(string)segment];
        }

        return node;
    }

    [Fact]
    public void KubectlApplyPatchMergesContainerByName()
    {
        // The body kubectl 1.32 sent for a changed image (reference §1.6).
        var result = Patch("""{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},"spec":{"replicas":3,"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"},{"name":"sidecar"}],"containers":[{"image":"nginx:1.28","name":"nginx"}]}}}}""");
        Assert.Equal(3, At(result, "spec", "replicas")!.GetValue<int>());
        Assert.Equal("nginx:1.28", At(result, "spec", "template", "spec", "containers", 0, "image")!.GetValue<string>());
        Json.Equal("""[{"containerPort":80},{"containerPort":443}]""", At(result, "spec", "template", "spec", "containers", 0, "ports"));
        Assert.Equal("sidecar", At(result, "spec", "template", "spec", "containers", 1, "name")!.GetValue<string>());
        Assert.Equal("{}", At(result, "metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration")!.GetValue<string>());
        Assert.Equal("tier", ((System.Text.Json.Nodes.JsonObject)At(result, "metadata", "labels")!).Last().Key);
    }

    [Fact]
    public void SetElementOrderReordersAndPlacesNewItems()
    {
        var result = Patch("""{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"log"},{"name":"nginx"}],"containers":[{"name":"log","image":"fluent"}]}}}}""");
        var names = At(result, "spec", "template", "spec", "containers")!.AsArray().Select(c => c!["name"]!.GetValue<string>());
        Assert.Equal(["sidecar", "log", "nginx"], names);
    }

    [Fact]
    public void NewItemsWithoutOrderGoFirstLikeApimachinery()
    {
        var result = Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"log","image":"fluent"}]}}}}""");
        var names = At(result, "spec", "template", "spec", "containers")!.AsArray().Select(c => c!["name"]!.GetValue<string>());
        Assert.Equal(["log", "nginx", "sidecar"], names);
    }

    [Fact]
    public void NestedListsMergeByTheirKeys()
    {
        var result = Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}],"ports":[{"containerPort":443,"name":"https"}],"volumeMounts":[{"mountPath":"/etc/cfg","readOnly":true}]}]}}}}""");
        Json.Equal("""[{"name":"A","value":"1"},{"name":"B","value":"3"},{"name":"C","value":"4"}]""", At(result, "spec", "template", "spec", "containers", 0, "env"));
        Json.Equal("""[{"containerPort":80},{"containerPort":443,"name":"https"}]""", At(result, "spec", "template", "spec", "containers", 0, "ports"));
        Json.Equal("""[{"name":"cfg","mountPath":"/etc/cfg","readOnly":true}]""", At(result, "spec", "template", "spec", "containers", 0, "volumeMounts"));
    }

    [Fact]
    public void DeleteDirectiveRemovesListItem()
    {
        var result = Patch("""{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],"containers":[{"name":"sidecar","$patch":"delete"}]}}}}""");
        Json.Equal("""["nginx"]""", new System.Text.Json.Nodes.JsonArray(At(result, "spec", "template", "spec", "containers")!.AsArray().Select(c => (System.Text.Json.Nodes.JsonNode?)c!["name"]!.DeepClone()).ToArray()));
    }

    [Fact]
    public void ReplaceDirectiveOnListAndMap()
    {
        var list = Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"x"},{"$patch":"replace"}]}}}}""");
        Json.Equal("""[{"name":"only","image":"x"}]""", At(list, "spec", "template", "spec", "containers"));
        var map = Patch("""{"metadata":{"labels":{"$patch":"replace","new":"1"}}}""");
        Json.Equal("""{"new":"1"}""", At(map, "metadata", "labels"));
        var deleted = Patch("""{"spec":{"strategy":{"$patch":"delete"}}}""");
        Json.Equal("{}", At(deleted, "spec", "strategy"));
    }

    [Fact]
    public void NullDeletesAndMapsMerge()
    {
        var result = Patch("""{"metadata":{"labels":{"tier":null,"env":"prod"}},"spec":{"replicas":null}}""");
        Json.Equal("""{"app":"web","env":"prod"}""", At(result, "metadata", "labels"));
        Assert.False(At(result, "spec")!.AsObject().ContainsKey("replicas"));
    }

    [Fact]
    public void AtomicListsAreReplaced()
    {
        var result = Patch("""{"spec":{"template":{"spec":{"tolerations":[{"key":"y","operator":"Exists"}]}}}}""");
        Json.Equal("""[{"key":"y","operator":"Exists"}]""", At(result, "spec", "template", "spec", "tolerations"));
    }

    [Fact]
    public void PrimitiveMergeListsAndDeleteFromPrimitiveList()
    {
        Json.Equal("""["c","a","b"]""", At(Patch("""{"metadata":{"finalizers":["c","a"]}}"""), "metadata", "finalizers"));
        Json.Equal("""["b"]""", At(Patch("""{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}"""), "metadata", "finalizers"));
        Json.Equal("""["b","a"]""", At(Patch("""{"metadata":{"$setElementOrder/finalizers":["b","a"]}}"""), "metadata", "finalizers"));
    }

    [Fact]
    public void RetainKeysDropsOtherKeys()
    {
        var result = Patch("""{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":null}}}""");
        Json.Equal("""{"type":"Recreate"}""", At(result, "spec", "strategy"));
        var error = Assert.Throws<PatchException>(() => Patch("""{"spec":{"strategy":{"$retainKeys":["type"],"other":1}}}"""));
        Assert.Equal("invalid patch format of retainKeys", error.Message);
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public void UnknownDirectiveFails()
    {
        var error = Assert.Throws<PatchException>(() => Patch("""{"spec":{"$patch":"frob","replicas":2}}"""));
        Assert.Equal("unknown patch type: frob in map: map[$patch:frob replicas:2]", error.Message);
        error = Assert.Throws<PatchException>(() => Patch("""{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}"""));
        Assert.Equal("map: map[image:x] does not contain declared merge key: name", error.Message);
    }

    [Fact]
    public void NewFieldsAreTakenWithoutDirectivesOrNulls()
    {
        var result = StrategicMergePatch.Apply(Json.Obj("""{"metadata":{"name":"x"}}"""), Json.Obj("""{"data":{"a":"1","b":null}}"""), TypeSchema.ForBuiltin("", "v1", "ConfigMap"));
        Json.Equal("""{"metadata":{"name":"x"},"data":{"a":"1"}}""", result);
    }

    [Fact]
    public void CronJobTemplateContainersMerge()
    {
        var schema = TypeSchema.ForBuiltin("batch", "v1", "CronJob");
        var original = Json.Obj("""{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"2"}]}}}}}}""");
        var result = StrategicMergePatch.Apply(original, Json.Obj("""{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"3"}]}}}}}}"""), schema);
        Json.Equal("""{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"3"}]}}}}}}""", result);
    }

    [Fact]
    public void ServicePortsMergeByPort()
    {
        var schema = TypeSchema.ForBuiltin("", "v1", "Service");
        var result = StrategicMergePatch.Apply(
            Json.Obj("""{"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443}],"selector":{"app":"a"}}}"""),
            Json.Obj("""{"spec":{"ports":[{"port":80,"targetPort":9090}],"selector":{"app":"b"}}}"""),
            schema);
        Json.Equal("""{"spec":{"ports":[{"port":80,"targetPort":9090},{"port":443}],"selector":{"app":"b"}}}""", result);
    }

    [Fact]
    public void DoesNotModifyInputs()
    {
        var original = Json.Obj(Web);
        var patch = Json.Obj("""{"metadata":{"labels":{"$patch":"replace"}}}""");
        StrategicMergePatch.Apply(original, patch, Deployment);
        Json.Equal(Web, original);
        Json.Equal("""{"metadata":{"labels":{"$patch":"replace"}}}""", patch);
    }
}
