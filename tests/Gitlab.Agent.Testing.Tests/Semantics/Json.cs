using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Tests.Semantics;

/// <summary>Small JSON helpers for the semantics tests.</summary>
internal static class Json
{
    public static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    public static void Equal(string expected, JsonNode? actual)
    {
        var expectedNode = JsonNode.Parse(expected);
        Assert.True(JsonNode.DeepEquals(expectedNode, actual), $"expected {expectedNode?.ToJsonString()}\nactual   {actual?.ToJsonString()}");
    }

    /// <summary>Compares including the order of object members (for FieldsV1 snapshots).</summary>
    public static void SameText(string expected, JsonNode? actual)
        => Assert.Equal(JsonNode.Parse(expected)!.ToJsonString(), actual?.ToJsonString());
}
