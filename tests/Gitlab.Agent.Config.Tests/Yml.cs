namespace Gitlab.Agent.Config.Tests;

/// <summary>Builds YAML text from lines so that line numbers in expected errors are easy to read.</summary>
internal static class Yml
{
    public static string Lines(params string[] lines) => string.Join('\n', lines) + "\n";
}
