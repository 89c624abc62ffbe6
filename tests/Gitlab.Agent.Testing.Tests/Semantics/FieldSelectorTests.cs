using Gitlab.Agent.Testing.Semantics;

namespace Gitlab.Agent.Testing.Tests.Semantics;

public class FieldSelectorTests
{
    private static readonly Dictionary<string, string> Pod = new()
    {
        ["metadata.name"] = "web-0",
        ["metadata.namespace"] = "default",
        ["status.phase"] = "Running",
        ["spec.nodeName"] = "a=b,c",
    };

    [Theory]
    [InlineData("", true)]
    [InlineData("metadata.name=web-0", true)]
    [InlineData("metadata.name==web-0", true)]
    [InlineData("metadata.name!=web-0", false)]
    [InlineData("metadata.name=web-1", false)]
    [InlineData("metadata.name=web-0,status.phase=Running", true)]
    [InlineData("metadata.name=web-0,status.phase!=Running", false)]
    [InlineData("spec.nodeName=a\\=b\\,c", true)]
    [InlineData("spec.unknown=", true)]
    [InlineData("spec.unknown!=", false)]
    [InlineData(",metadata.name=web-0,", true)]
    public void Matches(string selector, bool expected)
        => Assert.Equal(expected, FieldSelector.Parse(selector).Matches(f => Pod.GetValueOrDefault(f)));

    [Fact]
    public void ExposesSortedRequirements()
    {
        var selector = FieldSelector.Parse("status.phase!=Failed,metadata.name==x");
        Assert.Equal(
            [new FieldRequirement("metadata.name", FieldOperator.Equals, "x"), new FieldRequirement("status.phase", FieldOperator.NotEquals, "Failed")],
            selector.Requirements);
        Assert.Equal("x", selector.RequiresExactMatch("metadata.name"));
        Assert.Null(selector.RequiresExactMatch("status.phase"));
        Assert.Equal("metadata.name=x,status.phase!=Failed", selector.ToString());
    }

    [Theory]
    [InlineData("metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'")]
    [InlineData("a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'")]
    [InlineData("a=b=c", "invalid field selector: unescaped character in value: 61")]
    [InlineData("a=b\\x", "invalid field selector: invalid escape sequence: \\x")]
    [InlineData("a=b\\", "invalid field selector: invalid escape sequence: \\")]
    public void RejectsLikeApimachinery(string selector, string message)
        => Assert.Equal(message, Assert.Throws<SelectorException>(() => FieldSelector.Parse(selector)).Message);

    [Fact]
    public void EscapeRoundTrips()
    {
        var escaped = FieldSelector.EscapeValue("a\\b,c=d");
        Assert.Equal("a\\\\b\\,c\\=d", escaped);
        Assert.Equal("a\\b,c=d", FieldSelector.Parse("x=" + escaped).Requirements[0].Value);
    }
}
