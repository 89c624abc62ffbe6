using System.Text;
using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Api;
using Gitlab.Agent.Testing.Server;

namespace Gitlab.Agent.Testing.Bench;

/// <summary>Managed allocations of the write path's steps on a small ConfigMap (`--scenario probe`), for finding what to trim.</summary>
internal static class AllocProbe
{
    private static JsonObject Body()
    {
        var b = (JsonObject)JsonNode.Parse("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-x","namespace":"probe","uid":"d3b07384-d9a0-4c9b-8f3e-1c2b3a4d5e6f","creationTimestamp":"2026-01-01T00:00:00Z"},"data":{"k":"v"}}""")!;
        _ = System.Text.Json.JsonSerializer.Serialize(b.DeepClone());
        _ = JsonNode.DeepEquals(b, b.DeepClone());
        return b;
    }

    private static void Step(string name, long n, Func<Action> setup)
    {
        long total = 0;
        for (var i = 0; i < n; i++)
        {
            var act = setup();
            var a0 = GC.GetAllocatedBytesForCurrentThread();
            act();
            total += GC.GetAllocatedBytesForCurrentThread() - a0;
        }

        Console.WriteLine($"{name}: {total / n} B");
    }

    public static void Run(KubernetesApiServer cluster)
    {
        var core = (ApiServerCore)typeof(KubernetesApiServer).GetField("_core", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(cluster)!;
        var type = core.Registry.FindByStorageKey("/configmaps")!;
        var ctx0 = WriteContext.ForController("bench");
        core.Writer.Create(core.Registry.FindByStorageKey("/namespaces")!, string.Empty, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "probe" } }, ctx0);
        long parse = 0, create = 0, update = 0, n = 2000;
        for (var i = 0; i < n + 200; i++)
        {
            var bytes = Encoding.UTF8.GetBytes($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{{{i}}}"},"data":{"k":"v"}}""");
            var a0 = GC.GetAllocatedBytesForCurrentThread();
            var body = (JsonObject)JsonNode.Parse(bytes)!;
            var a1 = GC.GetAllocatedBytesForCurrentThread();
            var ctx = new WriteContext { User = RequestUser.System, FieldManager = "probe", FieldValidation = "Warn" };
            core.Writer.Create(type, "probe", body, ctx);
            var a2 = GC.GetAllocatedBytesForCurrentThread();
            var ubody = (JsonObject)JsonNode.Parse(Encoding.UTF8.GetBytes($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{{{i}}}"},"data":{"k":"w"}}"""))!;
            var a3 = GC.GetAllocatedBytesForCurrentThread();
            core.Writer.Update(type, "probe", "cm-" + i, ubody, null, new WriteContext { User = RequestUser.System, FieldManager = "probe", FieldValidation = "Warn" });
            var a4 = GC.GetAllocatedBytesForCurrentThread();
            if (i >= 200)
            {
                parse += a1 - a0;
                create += a2 - a1;
                update += a4 - a3;
            }
        }

        Step("clone", n, () => { var b = Body(); return () => b.DeepClone(); });
        Step("collectUnknown", n, () => { var b = Body(); return () => type.Schema!.CollectUnknown(b, string.Empty, new List<Gitlab.Agent.Testing.Registry.UnknownField>()); });
        Step("defaults", n, () => { var b = Body(); return () => KindRules.ApplyDefaults(type, b); });
        Step("validate", n, () => { var b = Body(); return () => KindRules.Validate(type, b, null); });
        Step("recordUpdate(create)", n, () => { var b = Body(); return () => SemanticsBridge.RecordUpdate(null, b, "probe", type, DateTimeOffset.UtcNow, null); });
        var oldObj = SemanticsBridge.RecordUpdate(null, Body(), "probe", type, DateTimeOffset.UtcNow, null);
        _ = JsonNode.DeepEquals(oldObj, oldObj.DeepClone());
        Step("recordUpdate(update)", n, () => { var b = Body(); b["data"]!["k"] = "w"; _ = JsonNode.DeepEquals(b, b.DeepClone()); return () => SemanticsBridge.RecordUpdate(oldObj, b, "probe", type, DateTimeOffset.UtcNow, null); });
        Step("decodeAll", n, () => () => Gitlab.Agent.Testing.Semantics.ManagedFieldsEntry.DecodeAll(oldObj["metadata"]!["managedFields"]));
        Step("storedCreate", n, () => { var b = Body(); var rv = 1000000L; return () => Gitlab.Agent.Testing.Storage.StoredObject.Create(type, b, rv++); });
        Step("guid+time", n, () => () => { _ = Guid.NewGuid().ToString(); _ = core.Writer.Now(); });
        Console.WriteLine($"parse {parse / n} B, create {create / n} B, update {update / n} B");
    }
}
