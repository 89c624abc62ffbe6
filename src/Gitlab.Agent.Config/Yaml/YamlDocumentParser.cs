using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Gitlab.Agent.Config.Yaml;

/// <summary>
/// Turns YAML text into a <see cref="YamlNode"/> tree by walking YamlDotNet <see cref="Parser"/> events, keeping the
/// start mark of every node. Enforces: a single document, core-schema tags only, no merge keys (<c>&lt;&lt;</c>),
/// scalar keys only, aliases that refer to an anchor defined earlier. Problems go to the <see cref="ErrorCollector"/>;
/// a node that could not be built is returned as null and silently skipped by callers.
/// </summary>
internal static partial class YamlDocumentParser
{
    /// <summary>Maximum nesting of mappings and lists.</summary>
    public const int MaxDepth = 100;

    /// <summary>Parses the single document of <paramref name="text"/>; null for an empty stream or an error.</summary>
    public static YamlNode? Parse(string text, ErrorCollector errors)
    {
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.TryConsume<StreamEnd>(out _))
            {
                return null;
            }

            parser.Consume<DocumentStart>();
            var state = new State(errors);
            var root = ReadNode(parser, state, string.Empty);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var second))
            {
                errors.Add(ToPosition(second.Start), string.Empty, "the file contains more than one YAML document (\"---\"); only one is allowed");
                return null;
            }

            parser.Consume<StreamEnd>();
            return root;
        }
        catch (NestingTooDeepException)
        {
            return null;
        }
        catch (YamlException ex)
        {
            errors.Add(ToPosition(ex.Start), string.Empty, "invalid YAML: " + MarkPrefix().Replace(ex.Message, string.Empty));
            return null;
        }
    }

    public static SourcePosition ToPosition(Mark mark) => new((int)mark.Line, (int)mark.Column);

    private static YamlNode? ReadNode(IParser parser, State state, string path)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (state.Anchors.TryGetValue(alias.Value.Value, out var target))
            {
                return target;
            }

            state.Errors.Add(ToPosition(alias.Start), path, $"alias \"*{alias.Value.Value}\" refers to no anchor defined before it");
            return null;
        }

        if (state.Depth >= MaxDepth && parser.Current is SequenceStart or MappingStart)
        {
            // Never meaningful in these files, and YamlDotNet's scanner costs O(depth) per token: stop reading here,
            // so that a hostile file cannot make parsing quadratic (or exhaust the stack).
            state.Errors.Add(ToPosition(parser.Current.Start), path, $"the document is nested more than {MaxDepth} levels deep");
            throw new NestingTooDeepException();
        }

        var start = parser.Consume<NodeEvent>();
        state.Depth++;
        YamlNode? node = start switch
        {
            Scalar scalar => ReadScalar(scalar, state, path),
            SequenceStart seq => ReadSequence(parser, seq, state, path),
            MappingStart map => ReadMapping(parser, map, state, path),
            _ => throw new YamlException(start.Start, start.End, $"unexpected {start.GetType().Name}"),
        };
        state.Depth--;

        if (node is not null && !start.Anchor.IsEmpty)
        {
            state.Anchors[start.Anchor.Value] = node;
        }

        return node;
    }

    private static YamlScalarNode? ReadScalar(Scalar scalar, State state, string path)
    {
        var position = ToPosition(scalar.Start);
        ScalarKind kind;
        if (scalar.Tag.IsEmpty)
        {
            kind = scalar.Style == ScalarStyle.Plain ? CoreSchema.ResolvePlain(scalar.Value) : ScalarKind.String;
        }
        else if (scalar.Tag.IsNonSpecific)
        {
            kind = ScalarKind.String;
        }
        else
        {
            var tag = scalar.Tag.Value;
            (kind, var valid) = tag switch
            {
                CoreSchema.StrTag => (ScalarKind.String, true),
                CoreSchema.NullTag => (ScalarKind.Null, CoreSchema.IsNull(scalar.Value)),
                CoreSchema.BoolTag => (ScalarKind.Bool, CoreSchema.IsBool(scalar.Value)),
                CoreSchema.IntTag => (ScalarKind.Int, CoreSchema.IsInt(scalar.Value)),
                CoreSchema.FloatTag => (ScalarKind.Float, CoreSchema.IsFloat(scalar.Value)),
                _ => (ScalarKind.String, false),
            };

            if (!valid)
            {
                state.Errors.Add(position, path, IsCoreTag(tag) && tag is not CoreSchema.MapTag and not CoreSchema.SeqTag
                    ? $"\"{Truncate(scalar.Value)}\" is not a valid {DisplayTag(tag)} value"
                    : UnsupportedTag(tag, "a scalar"));
                return null;
            }
        }

        return new YamlScalarNode(position, scalar.Value, scalar.Style, kind);
    }

    private static YamlSequenceNode? ReadSequence(IParser parser, SequenceStart start, State state, string path)
    {
        var tagOk = CheckCollectionTag(start, CoreSchema.SeqTag, "a list", state, path);
        var items = new List<YamlNode>();
        var index = 0;
        while (!parser.TryConsume<SequenceEnd>(out _))
        {
            var item = ReadNode(parser, state, $"{path}[{index++}]");
            if (item is not null)
            {
                items.Add(item);
            }
        }

        return tagOk ? new YamlSequenceNode(ToPosition(start.Start), items) : null;
    }

    private static YamlMappingNode? ReadMapping(IParser parser, MappingStart start, State state, string path)
    {
        var tagOk = CheckCollectionTag(start, CoreSchema.MapTag, "a mapping", state, path);
        var entries = new List<YamlMappingEntry>();
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            var keyStart = parser.Current!.Start;
            var key = ReadNode(parser, state, path);
            var value = ReadNode(parser, state, key is YamlScalarNode k ? ChildPath(path, k.Value) : path);
            if (key is null)
            {
                continue;
            }

            if (key is not YamlScalarNode scalarKey)
            {
                state.Errors.Add(ToPosition(keyStart), path, "mapping keys must be scalars (complex keys are not supported)");
                continue;
            }

            if (scalarKey.Style == ScalarStyle.Plain && scalarKey.Value == "<<")
            {
                state.Errors.Add(scalarKey.Position, path, "merge keys (\"<<\") are not supported; write the keys out, or reuse a whole value with an alias (*name)");
                continue;
            }

            if (value is not null)
            {
                entries.Add(new YamlMappingEntry(scalarKey, value));
            }
        }

        return tagOk ? new YamlMappingNode(ToPosition(start.Start), entries) : null;
    }

    private static bool CheckCollectionTag(NodeEvent start, string expected, string what, State state, string path)
    {
        if (start.Tag.IsEmpty || start.Tag.IsNonSpecific || start.Tag.Value == expected)
        {
            return true;
        }

        state.Errors.Add(ToPosition(start.Start), path, UnsupportedTag(start.Tag.Value, what));
        return false;
    }

    private static string UnsupportedTag(string tag, string what) =>
        $"tag \"{DisplayTag(tag)}\" is not allowed on {what}; only the YAML core schema tags !!str, !!int, !!float, !!bool, !!null, !!map and !!seq are supported";

    private static bool IsCoreTag(string tag) => tag.StartsWith("tag:yaml.org,2002:", StringComparison.Ordinal);

    private static string DisplayTag(string tag) => IsCoreTag(tag) ? "!!" + tag["tag:yaml.org,2002:".Length..] : tag;

    /// <summary>The path of a mapping entry: <c>parent.key</c> (or <c>key</c> at the top level).</summary>
    internal static string ChildPath(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

    internal static string Truncate(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 37), "...");

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ", RegexOptions.CultureInvariant)]
    private static partial Regex MarkPrefix();

    private sealed class NestingTooDeepException : Exception
    {
    }

    private sealed class State(ErrorCollector errors)
    {
        public ErrorCollector Errors { get; } = errors;

        public Dictionary<string, YamlNode> Anchors { get; } = new(StringComparer.Ordinal);

        public int Depth { get; set; }
    }
}
