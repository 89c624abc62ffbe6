using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Semantics;

namespace Gitlab.Agent.Testing.Tests.Semantics;

public class JsonPatchTests
{
    private static JsonNode Apply(string document, string patch)
        => JsonPatch.Apply(JsonNode.Parse(document)!, JsonNode.Parse(patch)!.AsArray());

    [Theory]
    [InlineData("""{"a":1}""", """[{"op":"add","path":"/b","value":2}]""", """{"a":1,"b":2}""")]
    [InlineData("""{"a":1}""", """[{"op":"add","path":"/a","value":3}]""", """{"a":3}""")]
    [InlineData("""{"a":[1,2]}""", """[{"op":"add","path":"/a/1","value":9}]""", """{"a":[1,9,2]}""")]
    [InlineData("""{"a":[1,2]}""", """[{"op":"add","path":"/a/-","value":9}]""", """{"a":[1,2,9]}""")]
    [InlineData("""{"a":[1,2]}""", """[{"op":"add","path":"/a/2","value":9}]""", """{"a":[1,2,9]}""")]
    [InlineData("""{"a":1}""", """[{"op":"add","path":"","value":{"x":1}}]""", """{"x":1}""")]
    [InlineData("""{"a":1,"b":2}""", """[{"op":"remove","path":"/a"}]""", """{"b":2}""")]
    [InlineData("""{"a":[1,2,3]}""", """[{"op":"remove","path":"/a/0"}]""", """{"a":[2,3]}""")]
    [InlineData("""{"a":1}""", """[{"op":"replace","path":"/a","value":null}]""", """{"a":null}""")]
    [InlineData("""{"a":1}""", """[{"op":"replace","path":"/b","value":2}]""", """{"a":1,"b":2}""")]
    [InlineData("""{"a":1}""", """[{"op":"test","path":"/b","value":null}]""", """{"a":1}""")]
    [InlineData("""{"a":[1,2]}""", """[{"op":"replace","path":"/a/1","value":5}]""", """{"a":[1,5]}""")]
    [InlineData("""{"a":{"b":1},"c":{}}""", """[{"op":"move","from":"/a/b","path":"/c/d"}]""", """{"a":{},"c":{"d":1}}""")]
    [InlineData("""{"a":[1,2,3]}""", """[{"op":"move","from":"/a/0","path":"/a/-"}]""", """{"a":[2,3,1]}""")]
    [InlineData("""{"a":{"b":[1]}}""", """[{"op":"copy","from":"/a","path":"/c"}]""", """{"a":{"b":[1]},"c":{"b":[1]}}""")]
    [InlineData("""{"a/b":1,"m~n":2}""", """[{"op":"replace","path":"/a~1b","value":3},{"op":"remove","path":"/m~0n"}]""", """{"a/b":3}""")]
    [InlineData("""{"a":{"x":[1,{"y":"z"}]}}""", """[{"op":"test","path":"/a","value":{"x":[1,{"y":"z"}]}},{"op":"add","path":"/ok","value":true}]""", """{"a":{"x":[1,{"y":"z"}]},"ok":true}""")]
    [InlineData("""{"metadata":{"resourceVersion":"5","managedFields":[]}}""",
        """[{"op":"replace","path":"/metadata/managedFields","value":[{"manager":"x"}]},{"op":"replace","path":"/metadata/resourceVersion","value":"5"}]""",
        """{"metadata":{"resourceVersion":"5","managedFields":[{"manager":"x"}]}}""")]
    public void AppliesOperations(string document, string patch, string expected)
        => Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), Apply(document, patch)), Apply(document, patch).ToJsonString());

    [Theory]
    [InlineData("""{"a":1}""", """[{"op":"test","path":"/a","value":2}]""", "testing value /a failed: test failed")]
    [InlineData("""{"a":1}""", """[{"op":"test","path":"/b","value":2}]""", "testing value /b failed: test failed")]
    [InlineData("""{"a":1}""", """[{"op":"test","path":"/x/y","value":2}]""", "test operation does not apply: is missing path: /x/y: missing value")]
    [InlineData("""{"a":1}""", """[{"op":"add","path":"/x/y","value":2}]""", "add operation does not apply: doc is missing path: \"/x/y\": missing value")]
    [InlineData("""{"a":[1]}""", """[{"op":"add","path":"/a/5","value":2}]""", "error in add for path: '/a/5': Unable to access invalid index: 5: invalid index referenced")]
    [InlineData("""{"a":1}""", """[{"op":"remove","path":"/b"}]""", "error in remove for path: '/b': Unable to remove nonexistent key: b: missing value")]
    [InlineData("""{"a":[1]}""", """[{"op":"remove","path":"/a/3"}]""", "error in remove for path: '/a/3': Unable to access invalid index: 3: invalid index referenced")]
    [InlineData("""{"a":[1]}""", """[{"op":"replace","path":"/a/1","value":1}]""", "replace operation does not apply: doc is missing key: /a/1: missing value")]
    [InlineData("""{"a":1}""", """[{"op":"replace","path":"/x/b","value":1}]""", "replace operation does not apply: doc is missing path: /x/b: missing value")]
    [InlineData("""{"a":1}""", """[{"op":"move","from":"/b","path":"/c"}]""", "move operation does not apply: doc is missing from path: /b: missing value")]
    [InlineData("""{"a":1}""", """[{"op":"copy","from":"/b","path":"/c"}]""", "copy operation does not apply: doc is missing from path: /b: missing value")]
    [InlineData("""{"a":1}""", """[{"op":"frob","path":"/a"}]""", "Unexpected kind: frob")]
    [InlineData("""{"a":1}""", """[{"op":"add","value":1}]""", "add operation failed to decode path: missing value")]
    public void FailsWithJsonPatchMessages(string document, string patch, string message)
    {
        var error = Assert.Throws<PatchException>(() => Apply(document, patch));
        Assert.Equal(message, error.Message);
        Assert.Equal(422, error.StatusCode);
    }

    [Fact]
    public void FailedPatchLeavesInputUntouchedAndIsAtomic()
    {
        var document = JsonNode.Parse("""{"a":1}""")!;
        Assert.Throws<PatchException>(() => JsonPatch.Apply(document, JsonNode.Parse("""[{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":5}]""")!.AsArray()));
        Assert.Equal("""{"a":1}""", document.ToJsonString());
    }

    [Fact]
    public void NonObjectOperationIsBadRequest()
        => Assert.Equal(400, Assert.Throws<PatchException>(() => Apply("{}", "[1]")).StatusCode);
}
