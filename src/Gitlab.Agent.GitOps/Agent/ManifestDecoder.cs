using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Gitlab.Agent.GitOps.Agent;

/// <summary>
/// Decodes manifest files into unstructured objects: multi-document YAML (YAML 1.2 core schema: quoted scalars stay
/// strings, anchors, aliases and <c>&lt;&lt;</c> merge keys) and JSON (one or more values). <c>List</c> kinds are
/// flattened and empty documents skipped. Every problem is reported with <c>file:line</c>.
/// </summary>
internal static partial class ManifestDecoder
{
    /// <summary>Decodes one file. Objects are returned even when other documents of the file failed.</summary>
    public static (List<ManifestObject> Objects, List<ManifestError> Errors) Decode(string source, ReadOnlySpan<byte> data)
    {
        var objects = new List<ManifestObject>();
        var errors = new List<ManifestError>();
        var roots = new List<(JsonNode? Node, int Line)>();
        var lines = new Dictionary<JsonNode, int>(ReferenceEqualityComparer.Instance);
        if (source.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            DecodeJson(source, data, roots, errors);
        }
        else
        {
            DecodeYaml(source, data, roots, lines, errors);
        }

        foreach (var (node, line) in roots)
        {
            AddObject(source, node, line, lines, objects, errors, 0);
        }

        return (objects, errors);
    }

    private static void AddObject(
        string source,
        JsonNode? node,
        int line,
        Dictionary<JsonNode, int> lines,
        List<ManifestObject> objects,
        List<ManifestError> errors,
        int depth)
    {
        if (node is null)
        {
            return; // empty document
        }

        if (node is not JsonObject obj)
        {
            errors.Add(new ManifestError(source, line, $"expected a Kubernetes object (a mapping with apiVersion, kind and metadata), found a {Describe(node)}"));
            return;
        }

        if (obj.Count == 0)
        {
            return; // "{}" carries nothing to apply
        }

        var kind = obj["kind"] is JsonValue k && k.TryGetValue<string>(out var ks) ? ks : null;
        if (kind is not null && depth < 8 && (kind == "List" || kind.EndsWith("List", StringComparison.Ordinal)) && obj["items"] is JsonArray items)
        {
            foreach (var item in items.ToList())
            {
                items.Remove(item);
                var itemLine = item is not null && lines.TryGetValue(item, out var l) ? l : line;
                AddObject(source, item, itemLine, lines, objects, errors, depth + 1);
            }

            return;
        }

        var problem = Validate(obj);
        if (problem is not null)
        {
            errors.Add(new ManifestError(source, line, problem));
            return;
        }

        objects.Add(new ManifestObject(obj, source, line));
    }

    private static string? Validate(JsonObject obj)
    {
        if (obj["apiVersion"] is not JsonValue av || !av.TryGetValue<string>(out var apiVersion) || apiVersion.Length == 0)
        {
            return "apiVersion is missing or not a string";
        }

        if (obj["kind"] is not JsonValue kv || !kv.TryGetValue<string>(out var kind) || kind.Length == 0)
        {
            return $"kind is missing or not a string (apiVersion {apiVersion})";
        }

        if (obj["metadata"] is not JsonObject metadata)
        {
            return $"{kind}: metadata is missing or not a mapping";
        }

        if (metadata["name"] is not JsonValue nv || !nv.TryGetValue<string>(out var name) || name.Length == 0)
        {
            return $"{kind}: metadata.name is missing or not a string (generateName is not supported by server-side apply)";
        }

        if (metadata["namespace"] is { } ns && (ns is not JsonValue nsv || !nsv.TryGetValue<string>(out _)))
        {
            return $"{kind} {name}: metadata.namespace must be a string";
        }

        return null;
    }

    private static string Describe(JsonNode node) => node switch
    {
        JsonArray => "sequence",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => "string",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => "number",
        _ => "scalar",
    };

    private static void DecodeJson(string source, ReadOnlySpan<byte> data, List<(JsonNode? Node, int Line)> roots, List<ManifestError> errors)
    {
        // Skip a UTF-8 BOM.
        if (data.StartsWith("\uFEFF"u8))
        {
            data = data[3..];
        }

        var reader = new Utf8JsonReader(data, new JsonReaderOptions { AllowMultipleValues = true, CommentHandling = JsonCommentHandling.Skip });
        try
        {
            while (reader.Read())
            {
                var line = LineAt(data, (int)reader.TokenStartIndex);
                var node = JsonNode.Parse(ref reader);
                roots.Add((node, line));
            }
        }
        catch (JsonException e)
        {
            errors.Add(new ManifestError(source, (int)(e.LineNumber ?? 0) + 1, $"invalid JSON: {StripPosition(e.Message)}"));
        }
    }

    private static int LineAt(ReadOnlySpan<byte> data, int offset)
    {
        var line = 1;
        foreach (var b in data[..Math.Min(offset, data.Length)])
        {
            if (b == (byte)'\n')
            {
                line++;
            }
        }

        return line;
    }

    private static string StripPosition(string message)
    {
        var index = message.IndexOf(" Path:", StringComparison.Ordinal);
        return index > 0 ? message[..index] : message;
    }

    private static void DecodeYaml(
        string source,
        ReadOnlySpan<byte> data,
        List<(JsonNode? Node, int Line)> roots,
        Dictionary<JsonNode, int> lines,
        List<ManifestError> errors)
    {
        var text = Encoding.UTF8.GetString(data);
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        var parser = new Parser(new StringReader(text));
        var builder = new YamlBuilder(lines);
        try
        {
            parser.Consume<StreamStart>();
            while (!parser.TryConsume<StreamEnd>(out _))
            {
                var start = parser.Consume<DocumentStart>();
                builder.ResetAnchors();
                JsonNode? root = null;
                var line = (int)start.Start.Line;
                if (!parser.Accept<DocumentEnd>(out _))
                {
                    line = (int)parser.Current!.Start.Line;
                    root = builder.Read(parser);
                }

                parser.Consume<DocumentEnd>();
                roots.Add((root, line));
            }
        }
        catch (YamlException e)
        {
            var message = e.InnerException is YamlException inner ? inner.Message : e.Message;
            errors.Add(new ManifestError(source, (int)e.Start.Line, $"invalid YAML: {StripYamlPosition(message)}"));
        }
        catch (ManifestDecodeException e)
        {
            errors.Add(new ManifestError(source, e.Line, e.Message));
        }
    }

    private static string StripYamlPosition(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: ...): ".
        var index = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line", StringComparison.Ordinal) && index > 0 ? message[(index + 3)..] : message;
    }

    private sealed class ManifestDecodeException(int line, string message) : Exception(message)
    {
        public int Line { get; } = line;
    }

    private sealed partial class YamlBuilder(Dictionary<JsonNode, int> lines)
    {
        private readonly Dictionary<string, JsonNode?> _anchors = new(StringComparer.Ordinal);

        public void ResetAnchors() => _anchors.Clear();

        public JsonNode? Read(IParser parser)
        {
            var current = parser.Current ?? throw new ManifestDecodeException(0, "unexpected end of YAML");
            var line = (int)current.Start.Line;
            switch (current)
            {
                case AnchorAlias alias:
                    parser.MoveNext();
                    if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                    {
                        throw new ManifestDecodeException(line, $"alias *{alias.Value.Value} refers to an unknown anchor");
                    }

                    return target?.DeepClone();
                case Scalar scalar:
                    parser.MoveNext();
                    var value = ConvertScalar(scalar);
                    Remember(scalar.Anchor, value);
                    return value;
                case SequenceStart sequenceStart:
                    {
                        parser.MoveNext();
                        var array = new JsonArray();
                        lines[array] = line;
                        while (!parser.TryConsume<SequenceEnd>(out _))
                        {
                            array.Add(Read(parser));
                        }

                        Remember(sequenceStart.Anchor, array);
                        return array;
                    }

                case MappingStart mappingStart:
                    {
                        parser.MoveNext();
                        var obj = new JsonObject();
                        lines[obj] = line;
                        var explicitKeys = new HashSet<string>(StringComparer.Ordinal);
                        while (!parser.TryConsume<MappingEnd>(out _))
                        {
                            var keyEvent = parser.Current!;
                            var keyLine = (int)keyEvent.Start.Line;
                            var keyNode = Read(parser);
                            var isMerge = keyEvent is Scalar { Value: "<<", Style: ScalarStyle.Plain };
                            var valueNode = Read(parser);
                            if (isMerge)
                            {
                                Merge(obj, valueNode, explicitKeys, keyLine);
                                continue;
                            }

                            var key = KeyString(keyNode, keyLine);
                            if (!explicitKeys.Add(key))
                            {
                                throw new ManifestDecodeException(keyLine, $"invalid YAML: mapping key \"{key}\" is defined twice");
                            }

                            obj[key] = valueNode;
                        }

                        Remember(mappingStart.Anchor, obj);
                        return obj;
                    }

                default:
                    throw new ManifestDecodeException(line, $"unexpected YAML event {current.GetType().Name}");
            }
        }

        private void Remember(AnchorName anchor, JsonNode? node)
        {
            if (!anchor.IsEmpty)
            {
                _anchors[anchor.Value] = node;
            }
        }

        private static void Merge(JsonObject target, JsonNode? value, HashSet<string> explicitKeys, int line)
        {
            var sources = value switch
            {
                JsonObject o => [o],
                JsonArray a when a.All(i => i is JsonObject) => a.Cast<JsonObject>().ToList(),
                _ => throw new ManifestDecodeException(line, "invalid YAML: the value of a << merge key must be a mapping or a list of mappings"),
            };
            foreach (var source in sources)
            {
                foreach (var (key, item) in source)
                {
                    // Explicit keys win over merged ones; earlier merged mappings win over later ones.
                    if (!explicitKeys.Contains(key) && !target.ContainsKey(key))
                    {
                        target[key] = item?.DeepClone();
                    }
                }
            }
        }

        private static string KeyString(JsonNode? key, int line) => key switch
        {
            null => "null",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v => v.ToJsonString(),
            _ => throw new ManifestDecodeException(line, "invalid YAML: mapping keys must be scalars"),
        };

        private JsonNode? ConvertScalar(Scalar scalar)
        {
            var value = scalar.Value;
            var tag = scalar.Tag.IsEmpty || scalar.Tag.IsNonSpecific ? null : scalar.Tag.Value;
            var line = (int)scalar.Start.Line;
            switch (tag)
            {
                case "tag:yaml.org,2002:str":
                    return JsonValue.Create(value);
                case "tag:yaml.org,2002:null":
                    return null;
                case "tag:yaml.org,2002:bool":
                    return ParseBool(value) is { } b ? JsonValue.Create(b) : throw new ManifestDecodeException(line, $"invalid YAML: \"{value}\" is not a !!bool");
                case "tag:yaml.org,2002:int":
                    return ParseInt(value) ?? throw new ManifestDecodeException(line, $"invalid YAML: \"{value}\" is not an !!int");
                case "tag:yaml.org,2002:float":
                    return ParseFloat(value) ?? ParseInt(value) ?? throw new ManifestDecodeException(line, $"invalid YAML: \"{value}\" is not a !!float");
                case "tag:yaml.org,2002:binary":
                case "tag:yaml.org,2002:timestamp":
                    return JsonValue.Create(value);
                case null:
                    break;
                default:
                    return JsonValue.Create(value);
            }

            if (scalar.Style != ScalarStyle.Plain)
            {
                return JsonValue.Create(value);
            }

            if (value.Length == 0 || value is "~" or "null" or "Null" or "NULL")
            {
                return null;
            }

            if (ParseBool(value) is { } boolean)
            {
                return JsonValue.Create(boolean);
            }

            return ParseInt(value) ?? ParseFloat(value) ?? JsonValue.Create(value);
        }

        private static bool? ParseBool(string value) => value switch
        {
            "true" or "True" or "TRUE" => true,
            "false" or "False" or "FALSE" => false,
            _ => null,
        };

        private static JsonValue? ParseInt(string value)
        {
            if (DecimalInt().IsMatch(value))
            {
                if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                {
                    return JsonValue.Create(l);
                }

                return decimal.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d) : null;
            }

            if (value.StartsWith("0o", StringComparison.Ordinal) && value.Length > 2 && value[2..].All(c => c is >= '0' and <= '7'))
            {
                return JsonValue.Create(Convert.ToInt64(value[2..], 8));
            }

            if (value.StartsWith("0x", StringComparison.Ordinal) && value.Length > 2 &&
                long.TryParse(value[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
            {
                return JsonValue.Create(hex);
            }

            return null;
        }

        private static JsonValue? ParseFloat(string value)
        {
            if (FloatNumber().IsMatch(value) &&
                double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            {
                return JsonValue.Create(d);
            }

            // .inf / .nan have no JSON form: kept as strings.
            return null;
        }

        [GeneratedRegex("^[-+]?[0-9]+$")]
        private static partial Regex DecimalInt();

        [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
        private static partial Regex FloatNumber();
    }
}
