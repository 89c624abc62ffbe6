using Gitlab.Agent.GitOps.Server;

namespace Gitlab.Agent.GitOps.Tests.Server;

public class GlobPatternTests
{
    [Theory]
    // literal and single-component wildcards
    [InlineData("a.yaml", "a.yaml", true)]
    [InlineData("a.yaml", "b.yaml", false)]
    [InlineData("*.yaml", "a.yaml", true)]
    [InlineData("*.yaml", "dir/a.yaml", false)]
    [InlineData("*", "a", true)]
    [InlineData("*", "a/b", false)]
    [InlineData("*", ".hidden", true)]
    [InlineData("a*b", "ab", true)]
    [InlineData("a*b", "axxb", true)]
    [InlineData("a*b", "axxbc", false)]
    [InlineData("a*b*c", "abxbc", true)]
    [InlineData("a**b", "axb", true)]
    [InlineData("a**b", "a/b", false)]
    [InlineData("?.yaml", "a.yaml", true)]
    [InlineData("?.yaml", "ab.yaml", false)]
    [InlineData("a?b", "a/b", false)]
    // doublestar
    [InlineData("**", "a", true)]
    [InlineData("**", "a/b/c.yaml", true)]
    [InlineData("**/*.yaml", "a.yaml", true)]
    [InlineData("**/*.yaml", "x/y/a.yaml", true)]
    [InlineData("**/*.yaml", "x/y/a.yml", false)]
    [InlineData("a/**/b.yaml", "a/b.yaml", true)]
    [InlineData("a/**/b.yaml", "a/x/y/b.yaml", true)]
    [InlineData("a/**/b.yaml", "b.yaml", false)]
    [InlineData("a/**", "a/x/y", true)]
    [InlineData("a/**", "b/x", false)]
    [InlineData("a/**/**/b", "a/b", true)]
    [InlineData("**/c/*.yaml", "a/b/c/d.yaml", true)]
    [InlineData("**/c/*.yaml", "a/b/c/e/d.yaml", false)]
    // leading slash
    [InlineData("/team1/app1/*.yaml", "team1/app1/deploy.yaml", true)]
    [InlineData("/team1/app1/*.yaml", "team1/app1/sub/deploy.yaml", false)]
    [InlineData("/team2/apps/**/*.yaml", "team2/apps/x/y/z.yaml", true)]
    // character classes
    [InlineData("[abc].yaml", "b.yaml", true)]
    [InlineData("[abc].yaml", "d.yaml", false)]
    [InlineData("[a-c].yaml", "c.yaml", true)]
    [InlineData("[^a-c].yaml", "c.yaml", false)]
    [InlineData("[!a-c].yaml", "d.yaml", true)]
    [InlineData("[]].yaml", "].yaml", true)]
    // escapes
    [InlineData(@"\*.yaml", "*.yaml", true)]
    [InlineData(@"\*.yaml", "a.yaml", false)]
    [InlineData(@"a\[b\].yaml", "a[b].yaml", true)]
    // braces
    [InlineData("**/*.{yaml,yml,json}", "a/b.yml", true)]
    [InlineData("**/*.{yaml,yml,json}", "b.json", true)]
    [InlineData("**/*.{yaml,yml,json}", "b.txt", false)]
    [InlineData("{a,b}/*.yaml", "b/x.yaml", true)]
    [InlineData("{a,b}/*.yaml", "c/x.yaml", false)]
    [InlineData("{a/b,c}/*.yaml", "a/b/x.yaml", true)]
    [InlineData("{a/b,c}/*.yaml", "c/x.yaml", true)]
    [InlineData("x{a,b{c,d}}y", "xbdy", true)]
    [InlineData("x{a,b{c,d}}y", "xby", false)]
    [InlineData("{,pre-}x.yaml", "x.yaml", true)]
    [InlineData("{,pre-}x.yaml", "pre-x.yaml", true)]
    [InlineData("{a,b}-{1,2}", "b-2", true)]
    [InlineData("{a}.yaml", "a.yaml", true)]
    [InlineData("[{]x", "{x", true)]
    public void Matches_like_doublestar(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, GlobPattern.Parse(pattern).IsMatch(path));
    }

    [Theory]
    [InlineData("{a,b", "never closed")]
    [InlineData("[abc", "never closed")]
    [InlineData("x[/]y", "never closed")]
    [InlineData("abc\\", "unfinished escape")]
    [InlineData("[z-a]", "reversed")]
    [InlineData("/", "empty")]
    [InlineData("", "empty")]
    public void Rejects_malformed_patterns_with_a_reason(string pattern, string reason)
    {
        var e = Assert.Throws<GlobPatternException>(() => GlobPattern.Parse(pattern));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{pattern}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Limits_brace_explosion()
    {
        var pattern = string.Concat(Enumerable.Repeat("{a,b,c}", 8));
        Assert.Throws<GlobPatternException>(() => GlobPattern.Parse(pattern));
    }
}
