using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Semantics;

namespace Gitlab.Agent.Testing.Tests.Semantics;

public class MergePatchTests
{
    // RFC 7386 appendix A test cases, plus Kubernetes-shaped ones.
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""["a","b"]""", """["c","d"]""", """["c","d"]""")]
    [InlineData("""{"a":"b"}""", """["c"]""", """["c"]""")]
    [InlineData("""{"a":"foo"}""", "null", "null")]
    [InlineData("""{"a":"foo"}""", "\"bar\"", "\"bar\"")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    [InlineData("""{"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}}}""",
        """{"spec":{"replicas":5,"template":{"spec":{"containers":[{"name":"c"}]}}}}""",
        """{"spec":{"replicas":5,"template":{"spec":{"containers":[{"name":"c"}]}}}}""")]
    public void AppliesRfc7386(string target, string patch, string expected)
    {
        var result = MergePatch.Apply(JsonNode.Parse(target), JsonNode.Parse(patch));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), result?.ToJsonString() ?? "null");
    }

    [Fact]
    public void DoesNotModifyInputs()
    {
        var target = JsonNode.Parse("""{"a":{"b":1}}""");
        var patch = JsonNode.Parse("""{"a":{"c":[1]}}""");
        var result = MergePatch.Apply(target, patch)!;
        result["a"]!["c"]!.AsArray().Add(2);
        Assert.Equal("""{"a":{"b":1}}""", target!.ToJsonString());
        Assert.Equal("""{"a":{"c":[1]}}""", patch!.ToJsonString());
    }
}
