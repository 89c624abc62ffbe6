using System.Text.Json.Nodes;
using Gitlab.Agent.GitOps.Agent;

namespace Gitlab.Agent.GitOps.Tests.Agent;

public class ObjectComparerTests
{
    private static JsonObject J(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void Fields_added_by_others_are_ignored()
    {
        var desired = J("""{"metadata":{"name":"a","labels":{"app":"x"}},"spec":{"replicas":2}}""");
        var live = J("""{"metadata":{"name":"a","uid":"u","resourceVersion":"5","labels":{"app":"x","team":"blue"}},"spec":{"replicas":2,"revisionHistoryLimit":10},"status":{"ready":1}}""");
        Assert.True(ObjectComparer.Matches(live, ObjectComparer.ComparableShape(desired)));
    }

    [Fact]
    public void A_changed_desired_field_is_drift_and_is_named()
    {
        var desired = J("""{"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c","image":"nginx:1"}]}}}}""");
        var live = J("""{"spec":{"replicas":5,"template":{"spec":{"containers":[{"name":"c","image":"nginx:1","imagePullPolicy":"IfNotPresent"}]}}}}""");
        Assert.False(ObjectComparer.Matches(live, desired));
        Assert.Equal([".spec.replicas"], ObjectComparer.Differences(live, desired));
    }

    [Fact]
    public void Keyed_list_items_match_by_key_and_extra_items_are_ignored()
    {
        var desired = J("""{"c":[{"name":"a","image":"1"},{"name":"b","image":"2"}]}""");
        var reordered = J("""{"c":[{"name":"sidecar","image":"9"},{"name":"b","image":"2"},{"name":"a","image":"1","x":1}]}""");
        Assert.True(ObjectComparer.Matches(reordered, desired));
        var changed = J("""{"c":[{"name":"a","image":"1"},{"name":"b","image":"3"}]}""");
        Assert.False(ObjectComparer.Matches(changed, desired));
        var missing = J("""{"c":[{"name":"a","image":"1"}]}""");
        Assert.False(ObjectComparer.Matches(missing, desired));
    }

    [Fact]
    public void Positional_lists_must_have_the_same_length()
    {
        var desired = J("""{"args":["a","b"]}""");
        Assert.True(ObjectComparer.Matches(J("""{"args":["a","b"]}"""), desired));
        Assert.False(ObjectComparer.Matches(J("""{"args":["a","b","c"]}"""), desired));
        Assert.False(ObjectComparer.Matches(J("""{"args":["b","a"]}"""), desired));
    }

    [Fact]
    public void Numbers_compare_by_value_and_types_matter()
    {
        Assert.True(ObjectComparer.SemanticEquals(JsonNode.Parse("1"), JsonNode.Parse("1.0")));
        Assert.True(ObjectComparer.SemanticEquals(JsonValue.Create(2L), JsonNode.Parse("2")));
        Assert.False(ObjectComparer.SemanticEquals(JsonNode.Parse("1"), JsonNode.Parse("\"1\"")));
        Assert.False(ObjectComparer.SemanticEquals(JsonNode.Parse("true"), JsonNode.Parse("false")));
        Assert.True(ObjectComparer.SemanticEquals(null, null));
        Assert.False(ObjectComparer.SemanticEquals(JsonNode.Parse("{}"), null));
    }

    [Fact]
    public void A_field_removed_from_live_is_drift()
    {
        var desired = J("""{"data":{"a":"1","b":"2"}}""");
        Assert.False(ObjectComparer.Matches(J("""{"data":{"a":"1"}}"""), desired));
    }

    [Fact]
    public void Hash_ignores_key_order_and_sees_values()
    {
        Assert.Equal(ObjectComparer.Hash(J("""{"a":1,"b":{"c":2,"d":3}}""")), ObjectComparer.Hash(J("""{"b":{"d":3,"c":2},"a":1}""")));
        Assert.NotEqual(ObjectComparer.Hash(J("""{"a":1}""")), ObjectComparer.Hash(J("""{"a":2}""")));
    }
}
