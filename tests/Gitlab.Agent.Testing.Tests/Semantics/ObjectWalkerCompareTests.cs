using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Semantics;

namespace Gitlab.Agent.Testing.Tests.Semantics;

/// <summary>
/// <see cref="ObjectWalker.Compare(JsonObject, JsonObject, SchemaNode, bool)"/> ignoring managedFields in place must
/// find exactly what comparing copies without managedFields finds (the write path relies on it instead of copying).
/// </summary>
public class ObjectWalkerCompareTests
{
    private static readonly TypeSchema DeploymentSchema = TypeSchema.ForBuiltin("apps", "v1", "Deployment");

    private const string ManagedFields = """[{"manager":"m","operation":"Update","apiVersion":"apps/v1","time":"2025-01-02T03:04:05Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}}}]""";

    public static TheoryData<string, string> Pairs() => new()
    {
        // managedFields only on one side, or different on both: not a change
        { """{"metadata":{"name":"a","managedFields":MF},"spec":{"replicas":1}}""", """{"metadata":{"name":"a"},"spec":{"replicas":1}}""" },
        { """{"metadata":{"name":"a"},"spec":{"replicas":1}}""", """{"metadata":{"name":"a","managedFields":MF},"spec":{"replicas":2}}""" },
        { """{"metadata":{"name":"a","managedFields":MF,"labels":{"x":"1"}},"spec":{"replicas":1}}""", """{"metadata":{"name":"a","managedFields":[],"labels":{"x":"2","y":"3"}}}""" },
        // metadata holding nothing but managedFields (empty once it is ignored) against empty, null, absent or filled metadata
        { """{"metadata":{"managedFields":MF}}""", """{"metadata":{}}""" },
        { """{"metadata":{"managedFields":MF}}""", """{"metadata":{"managedFields":[]}}""" },
        { """{"metadata":{"managedFields":MF}}""", """{"metadata":null}""" },
        { """{"metadata":{"managedFields":MF}}""", """{}""" },
        { """{}""", """{"metadata":{"managedFields":MF}}""" },
        { """{"metadata":{"managedFields":MF}}""", """{"metadata":{"name":"b"}}""" },
        // a field called managedFields anywhere else still counts
        { """{"metadata":{"name":"a"},"spec":{"template":{"metadata":{"managedFields":"x"}}}}""", """{"metadata":{"name":"a"},"spec":{"template":{"metadata":{}}}}""" },
        { """{"managedFields":1,"metadata":{"name":"a"}}""", """{"managedFields":2,"metadata":{"name":"a"}}""" },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void IgnoringManagedFieldsInPlaceEqualsComparingCopiesWithoutThem(string lhsJson, string rhsJson)
    {
        var lhs = Json.Obj(lhsJson.Replace("MF", ManagedFields, StringComparison.Ordinal));
        var rhs = Json.Obj(rhsJson.Replace("MF", ManagedFields, StringComparison.Ordinal));
        var lhsBefore = lhs.ToJsonString();
        var rhsBefore = rhs.ToJsonString();

        var inPlace = ObjectWalker.Compare(lhs, rhs, DeploymentSchema.Root, ignoreManagedFields: true);
        var copies = ObjectWalker.Compare(WithoutManagedFields(lhs), WithoutManagedFields(rhs), DeploymentSchema.Root);

        Assert.Equal(Paths(copies.Added), Paths(inPlace.Added));
        Assert.Equal(Paths(copies.Modified), Paths(inPlace.Modified));
        Assert.Equal(Paths(copies.Removed), Paths(inPlace.Removed));
        Assert.Equal(lhsBefore, lhs.ToJsonString());
        Assert.Equal(rhsBefore, rhs.ToJsonString());
    }

    [Fact]
    public void ManagedFieldsEntriesAreOrderedByOperationTimeManagerVersionAndSubresource()
    {
        var fields = FieldSet.FromFieldsV1(Json.Obj("""{"f:data":{"f:k":{}}}"""));
        ManagedFieldsEntry Entry(string manager, string operation, string? time, string apiVersion = "v1", string? subresource = null) =>
            new() { Manager = manager, Operation = operation, Time = time, ApiVersion = apiVersion, Subresource = subresource, Fields = fields };

        var encoded = ManagedFieldsEntry.EncodeAll(
        [
            Entry("z", "Update", "2025-01-02T03:04:05Z"),
            Entry("b", "Update", "2025-01-02T03:04:05Z", "v2"),
            Entry("b", "Update", "2025-01-02T03:04:05Z", "v1", "status"),
            Entry("b", "Update", "2025-01-02T03:04:05Z"),
            Entry("a", "Update", "2025-01-02T03:04:06Z"),
            Entry("c", "Update", null),
            Entry("y", "Apply", "2025-01-02T03:04:07Z"),
            Entry("x", "Apply", "2025-01-02T03:04:07Z"),
        ]);

        var order = encoded.Select(e => $"{e!["operation"]}/{e["manager"]}/{e["apiVersion"]}/{e["subresource"]}").ToList();
        Assert.Equal(
        [
            "Apply/x/v1/", "Apply/y/v1/",
            "Update/c/v1/",
            "Update/b/v1/", "Update/b/v1/status", "Update/b/v2/", "Update/z/v1/",
            "Update/a/v1/",
        ], order);
    }

    private static JsonObject WithoutManagedFields(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        if (copy["metadata"] is JsonObject meta)
        {
            meta.Remove("managedFields");
        }

        return copy;
    }

    private static List<string> Paths(FieldSet set) => set.Ordered().Select(p => p.ToString()).ToList();
}
