namespace Gitlab.Agent.Config.Tests;

public class AgentNameTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("agent1")]
    [InlineData("my-agent")]
    [InlineData("0")]
    [InlineData("a-b-c-1")]
    public void Valid_names(string name)
    {
        Assert.True(AgentName.IsValid(name));
        AgentName.Validate(name);
    }

    [Fact]
    public void Longest_valid_name_has_63_characters()
    {
        Assert.True(AgentName.IsValid(new string('a', 63)));
        Assert.False(AgentName.IsValid(new string('a', 64)));
        var ex = Assert.Throws<ArgumentException>(() => AgentName.Validate(new string('a', 64)));
        Assert.StartsWith($"Invalid agent name \"{new string('a', 64)}\": it is 64 characters long, the maximum is 63.", ex.Message);
    }

    [Theory]
    [InlineData("My-Agent")]
    [InlineData("-agent")]
    [InlineData("agent-")]
    [InlineData("agent_1")]
    [InlineData("agent.1")]
    [InlineData("agent 1")]
    [InlineData("agent/1")]
    [InlineData("agënt")]
    public void Invalid_names(string name)
    {
        Assert.False(AgentName.IsValid(name));
        var ex = Assert.Throws<ArgumentException>(() => AgentName.Validate(name));
        Assert.StartsWith($"Invalid agent name \"{name}\": it must consist of lower case letters, digits and '-', and start and end with a letter or digit.", ex.Message);
    }

    [Fact]
    public void Empty_and_null_names()
    {
        Assert.False(AgentName.IsValid(null));
        Assert.False(AgentName.IsValid(""));
        Assert.StartsWith("Invalid agent name \"\": it is empty.", Assert.Throws<ArgumentException>(() => AgentName.Validate("")).Message);
    }
}
