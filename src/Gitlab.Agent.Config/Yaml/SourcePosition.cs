namespace Gitlab.Agent.Config.Yaml;

/// <summary>A 1-based line and column in a configuration file; (0, 0) when unknown.</summary>
internal readonly record struct SourcePosition(int Line, int Column)
{
    public static SourcePosition Unknown => default;

    public bool IsKnown => Line > 0;
}
