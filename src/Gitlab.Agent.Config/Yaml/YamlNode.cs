using YamlDotNet.Core;

namespace Gitlab.Agent.Config.Yaml;

/// <summary>A node of a parsed YAML document. Aliases resolve to the anchored node (shared, not copied).</summary>
internal abstract class YamlNode(SourcePosition position)
{
    /// <summary>Where the node starts (for an alias: where the anchored node starts).</summary>
    public SourcePosition Position { get; } = position;
}

/// <summary>A scalar with its YAML 1.2 core-schema type already resolved.</summary>
internal sealed class YamlScalarNode(SourcePosition position, string value, ScalarStyle style, ScalarKind kind) : YamlNode(position)
{
    /// <summary>The scalar text as written (after unquoting/folding).</summary>
    public string Value { get; } = value;

    public ScalarStyle Style { get; } = style;

    /// <summary>The resolved type (a quoted scalar is always a string unless explicitly tagged).</summary>
    public ScalarKind Kind { get; } = kind;

    public bool IsNull => Kind == ScalarKind.Null;
}

internal sealed class YamlMappingNode(SourcePosition position, IReadOnlyList<YamlMappingEntry> entries) : YamlNode(position)
{
    public IReadOnlyList<YamlMappingEntry> Entries { get; } = entries;
}

/// <summary>One key/value pair of a mapping; keys are always scalars (complex keys are rejected while parsing).</summary>
internal sealed record YamlMappingEntry(YamlScalarNode Key, YamlNode Value);

internal sealed class YamlSequenceNode(SourcePosition position, IReadOnlyList<YamlNode> items) : YamlNode(position)
{
    public IReadOnlyList<YamlNode> Items { get; } = items;
}
