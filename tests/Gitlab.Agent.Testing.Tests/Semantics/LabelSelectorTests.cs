using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Semantics;

namespace Gitlab.Agent.Testing.Tests.Semantics;

public class LabelSelectorTests
{
    private const string LabelValueRule =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    private const string NamePartRule =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    private static Dictionary<string, string> Labels(string spec)
        => spec.Length == 0
            ? []
            : spec.Split(';').Select(p => p.Split(':')).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");

    [Theory]
    [InlineData("", "", true)]
    [InlineData("", "app:web", true)]
    [InlineData("app=web", "app:web", true)]
    [InlineData("app==web", "app:web", true)]
    [InlineData("app=web", "app:db", false)]
    [InlineData("app=web", "", false)]
    [InlineData("app!=web", "app:db", true)]
    [InlineData("app!=web", "", true)]
    [InlineData("app!=web", "app:web", false)]
    [InlineData("app in (web,db)", "app:db", true)]
    [InlineData("app in (web,db)", "app:cache", false)]
    [InlineData("app in (web, db)", "app:db", true)]
    [InlineData("app notin (web,db)", "app:cache", true)]
    [InlineData("app notin (web,db)", "", true)]
    [InlineData("app notin (web,db)", "app:web", false)]
    [InlineData("app", "app:", true)]
    [InlineData("app", "tier:x", false)]
    [InlineData("!app", "tier:x", true)]
    [InlineData("!app", "app:web", false)]
    [InlineData("app=web,tier", "app:web;tier:fe", true)]
    [InlineData("app=web,tier", "app:web", false)]
    [InlineData("app in (web),!foo", "app:web", true)]
    [InlineData("app in (web),!foo", "app:web;foo:1", false)]
    [InlineData("x=", "x:", true)]
    [InlineData("x=", "x:a", false)]
    [InlineData("x in (a,,b)", "x:", true)]
    [InlineData("x in ()", "x:", true)]
    [InlineData("x notin ()", "x:a", true)]
    [InlineData("example.com/app=web", "example.com/app:web", true)]
    [InlineData("in in (in)", "in:in", true)]
    [InlineData("n>5", "n:6", true)]
    [InlineData("n>5", "n:5", false)]
    [InlineData("n<5", "n:4", true)]
    [InlineData("n<5", "n:x", false)]
    [InlineData("  app = web  ", "app:web", true)]
    public void MatchesLikeApimachinery(string selector, string labels, bool expected)
        => Assert.Equal(expected, LabelSelector.Parse(selector).Matches(Labels(labels)));

    [Theory]
    [InlineData("=a", "found '=', expected: !, identifier, or 'end of string'")]
    [InlineData("x y", "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt")]
    [InlineData("x in a", "unable to parse requirement: found 'a' expected: '('")]
    [InlineData("x in (a", "unable to parse requirement: found '', expected: ',' or ')'")]
    [InlineData("x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'")]
    [InlineData("x=a,", "found '', expected: identifier after ','")]
    [InlineData("x=a b", "found 'b', expected: ',' or 'end of string'")]
    [InlineData("!x=a", "found '=', expected: ',' or 'end of string'")]
    [InlineData("x=(a)", "unable to parse requirement: found '(', expected: identifier")]
    [InlineData("x=a/b", "unable to parse requirement: values[0][x]: Invalid value: \"a/b\": " + LabelValueRule)]
    [InlineData("-x", "unable to parse requirement: <nil>: Invalid value: \"-x\": " + NamePartRule)]
    [InlineData("n>a", "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer")]
    [InlineData("x in (a,=)", "unable to parse requirement: found '=', expected: ',', or identifier")]
    public void RejectsBadSyntaxWithApimachineryMessages(string selector, string message)
    {
        var error = Assert.Throws<SelectorException>(() => LabelSelector.Parse(selector));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void ValidatesKeyPrefix()
    {
        var error = Assert.Throws<SelectorException>(() => LabelSelector.Parse("Example.com/app"));
        Assert.StartsWith("unable to parse requirement: <nil>: Invalid value: \"Example.com/app\": prefix part a lowercase RFC 1123 subdomain", error.Message);
        error = Assert.Throws<SelectorException>(() => LabelSelector.Parse("a/b/c"));
        Assert.Contains("a qualified name must consist of", error.Message);
        error = Assert.Throws<SelectorException>(() => LabelSelector.Parse(new string('a', 64)));
        Assert.Contains("name part must be no more than 63 characters", error.Message);
    }

    [Fact]
    public void EmptyAndNullAreEverything()
    {
        Assert.True(LabelSelector.Parse(null).IsEmpty);
        Assert.True(LabelSelector.Parse("").IsEmpty);
        Assert.False(LabelSelector.Parse("a").IsEmpty);
        Assert.True(LabelSelector.Parse(null).Matches(null));
    }

    [Fact]
    public void NormalizesToSortedString()
        => Assert.Equal("a in (x,y),!b,c=1", LabelSelector.Parse("c=1, !b, a in (y,x)").ToString());

    [Fact]
    public void ConvertsMetaV1LabelSelector()
    {
        var selector = LabelSelector.FromLabelSelectorObject(JsonNode.Parse("""
            {"matchLabels":{"app":"web"},"matchExpressions":[
              {"key":"tier","operator":"In","values":["fe","be"]},
              {"key":"legacy","operator":"DoesNotExist"},
              {"key":"env","operator":"NotIn","values":["prod"]},
              {"key":"team","operator":"Exists"}]}
            """)!.AsObject());
        Assert.True(selector.Matches(Labels("app:web;tier:fe;team:a")));
        Assert.False(selector.Matches(Labels("app:web;tier:fe")));
        Assert.False(selector.Matches(Labels("app:web;tier:fe;team:a;legacy:1")));
        Assert.False(selector.Matches(Labels("app:web;tier:fe;team:a;env:prod")));
        Assert.False(selector.Matches(Labels("app:db;tier:fe;team:a")));
    }

    [Fact]
    public void NullStructuredSelectorMatchesNothingAndEmptyMatchesEverything()
    {
        Assert.False(LabelSelector.FromLabelSelectorObject(null).Matches(Labels("a:b")));
        Assert.False(LabelSelector.FromLabelSelectorObject(null).IsEmpty);
        Assert.True(LabelSelector.FromLabelSelectorObject([]).Matches(Labels("a:b")));
        Assert.True(LabelSelector.FromLabelSelectorObject([]).IsEmpty);
    }

    [Theory]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"Gt","values":["1"]}]}""", "\"Gt\" is not a valid label selector operator")]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"In","values":[]}]}""", "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty")]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]}""", "values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist")]
    [InlineData("""{"matchLabels":{"-a":"b"}}""", "key: Invalid value: \"-a\": " + NamePartRule)]
    public void RejectsInvalidStructuredSelector(string json, string message)
    {
        var error = Assert.Throws<SelectorException>(() => LabelSelector.FromLabelSelectorObject(JsonNode.Parse(json)!.AsObject()));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void ReadsLabelsOfObject()
    {
        var labels = LabelSelector.LabelsOf(JsonNode.Parse("""{"metadata":{"labels":{"a":"1","b":"2"}}}""")!.AsObject());
        Assert.Equal(2, labels.Count);
        Assert.Empty(LabelSelector.LabelsOf(JsonNode.Parse("""{"metadata":{}}""")!.AsObject()));
    }
}
