using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using YamlDotNet.Core;

namespace Gitlab.Agent.Config.Yaml;

/// <summary>
/// Fills a protobuf message from a <see cref="YamlNode"/> tree through its <see cref="MessageDescriptor"/>, with the
/// semantics of GitLab's loader (YAML → JSON → protojson): keys are field JSON names (proto names also accepted),
/// unknown keys are errors, null leaves a field unset, strings must be strings, 64-bit integers may be quoted,
/// enums are given by name, <c>google.protobuf.Duration</c> is a string ("3600s" or Go style "1h30m").
/// Every problem is reported with its position and key path; reading continues after an error.
/// </summary>
internal sealed class ProtoYamlReader
{
    /// <summary>Upper bound on values visited (guards against alias expansion bombs).</summary>
    public const int MaxValues = 100_000;

    private static readonly System.Buffers.SearchValues<char> JsonNumberChars = System.Buffers.SearchValues.Create("0123456789.eE+-");

    private static readonly ConcurrentDictionary<MessageDescriptor, Dictionary<string, FieldDescriptor>> FieldsByKey = new();

    private readonly ErrorCollector _errors;
    private readonly SourceMap _map;
    private int _values;
    private bool _aborted;

    private ProtoYamlReader(ErrorCollector errors, SourceMap map)
    {
        _errors = errors;
        _map = map;
    }

    /// <summary>Parses <paramref name="yaml"/> (one document) into <paramref name="target"/>.</summary>
    public static SourceMap Read(string yaml, IMessage target, ErrorCollector errors)
    {
        var map = new SourceMap();
        var root = YamlDocumentParser.Parse(yaml, errors);
        new ProtoYamlReader(errors, map).ReadRoot(root, target);
        return map;
    }

    private void ReadRoot(YamlNode? root, IMessage target)
    {
        if (root is null || root is YamlScalarNode { IsNull: true })
        {
            return;
        }

        _map.Add(string.Empty, root.Position);
        if (root is YamlMappingNode mapping)
        {
            ReadMessage(mapping, target, string.Empty);
        }
        else
        {
            _errors.Add(root.Position, string.Empty, $"the top level must be a mapping of keys (one of: {KnownKeys(target.Descriptor)}), got {Describe(root)}");
        }
    }

    private void ReadMessage(YamlMappingNode node, IMessage message, string path)
    {
        var descriptor = message.Descriptor;
        var keys = FieldsByKey.GetOrAdd(descriptor, BuildKeyIndex);
        var seen = new Dictionary<FieldDescriptor, YamlScalarNode>();
        var oneofs = new Dictionary<OneofDescriptor, YamlScalarNode>();
        foreach (var (key, value) in node.Entries)
        {
            if (!Visit())
            {
                return;
            }

            if (!keys.TryGetValue(key.Value, out var field))
            {
                var known = KnownKeys(descriptor);
                _errors.Add(key.Position, YamlDocumentParser.ChildPath(path, key.Value), known.Length == 0
                    ? $"unknown field \"{key.Value}\", this mapping must be empty ({{}})"
                    : $"unknown field \"{key.Value}\", expected one of: {known}");
                continue;
            }

            var fieldPath = YamlDocumentParser.ChildPath(path, field.JsonName);
            if (seen.TryGetValue(field, out var first))
            {
                _errors.Add(key.Position, fieldPath, $"duplicate key \"{key.Value}\" (first set at line {first.Position.Line}, column {first.Position.Column})");
                continue;
            }

            seen[field] = key;
            _map.Add(fieldPath, value.Position);
            if (value is YamlScalarNode { IsNull: true })
            {
                continue;
            }

            var oneof = field.RealContainingOneof;
            if (oneof is not null)
            {
                if (oneofs.TryGetValue(oneof, out var other))
                {
                    var members = string.Join(", ", oneof.Fields.Select(f => f.JsonName));
                    _errors.Add(key.Position, fieldPath, $"\"{other.Value}\" and \"{key.Value}\" are both set, but only one of {members} is allowed");
                    continue;
                }

                oneofs[oneof] = key;
            }

            if (field.IsMap)
            {
                ReadMap(field, value, message, fieldPath);
            }
            else if (field.IsRepeated)
            {
                ReadList(field, value, message, fieldPath);
            }
            else
            {
                var converted = ReadValue(field, value, fieldPath);
                if (converted is not null)
                {
                    field.Accessor.SetValue(message, converted);
                }
            }
        }
    }

    private void ReadList(FieldDescriptor field, YamlNode node, IMessage message, string path)
    {
        if (node is not YamlSequenceNode sequence)
        {
            _errors.Add(node.Position, path, $"expected a list, got {Describe(node)}");
            return;
        }

        var list = (IList)field.Accessor.GetValue(message);
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            if (!Visit())
            {
                return;
            }

            var item = sequence.Items[i];
            var itemPath = $"{path}[{i}]";
            _map.Add(itemPath, item.Position);
            if (item is YamlScalarNode { IsNull: true })
            {
                _errors.Add(item.Position, itemPath, "null is not allowed in a list");
                continue;
            }

            var converted = ReadValue(field, item, itemPath);
            if (converted is not null)
            {
                list.Add(converted);
            }
        }
    }

    private void ReadMap(FieldDescriptor field, YamlNode node, IMessage message, string path)
    {
        if (node is not YamlMappingNode mapping)
        {
            _errors.Add(node.Position, path, $"expected a mapping, got {Describe(node)}");
            return;
        }

        var keyField = field.MessageType.FindFieldByNumber(1);
        var valueField = field.MessageType.FindFieldByNumber(2);
        var dictionary = (IDictionary)field.Accessor.GetValue(message);
        var seen = new Dictionary<string, YamlScalarNode>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Entries)
        {
            if (!Visit())
            {
                return;
            }

            var entryPath = YamlDocumentParser.ChildPath(path, key.Value);
            if (seen.TryGetValue(key.Value, out var first))
            {
                _errors.Add(key.Position, entryPath, $"duplicate key \"{key.Value}\" (first set at line {first.Position.Line}, column {first.Position.Column})");
                continue;
            }

            seen[key.Value] = key;
            _map.Add(entryPath, value.Position);
            var mapKey = ConvertMapKey(keyField, key, entryPath);
            if (value is YamlScalarNode { IsNull: true })
            {
                _errors.Add(value.Position, entryPath, "null is not allowed as a map value");
                continue;
            }

            var mapValue = ReadValue(valueField, value, entryPath);
            if (mapKey is not null && mapValue is not null)
            {
                dictionary[mapKey] = mapValue;
            }
        }
    }

    private object? ConvertMapKey(FieldDescriptor keyField, YamlScalarNode key, string path)
    {
        // Map keys are JSON object keys (always strings in protojson); convert them to the key type.
        var asString = new YamlScalarNode(key.Position, key.Value, ScalarStyle.DoubleQuoted, ScalarKind.String);
        switch (keyField.FieldType)
        {
            case FieldType.String:
                return key.Value;
            case FieldType.Bool:
                if (key.Value is "true" or "false")
                {
                    return key.Value == "true";
                }

                _errors.Add(key.Position, path, $"invalid map key \"{key.Value}\", expected true or false");
                return null;
            default:
                return ReadInteger(keyField.FieldType, asString, path, quotedAllowed: true);
        }
    }

    private object? ReadValue(FieldDescriptor field, YamlNode node, string path)
    {
        switch (field.FieldType)
        {
            case FieldType.Message:
                return ReadMessageValue(field.MessageType, node, path);
            case FieldType.Enum:
                return ReadEnum(field.EnumType, node, path);
            case FieldType.String:
                if (node is YamlScalarNode { Kind: ScalarKind.String } s)
                {
                    return s.Value;
                }

                _errors.Add(node.Position, path, $"expected a string, got {Describe(node)}" +
                    (node is YamlScalarNode { Kind: ScalarKind.Int or ScalarKind.Float or ScalarKind.Bool } ? " (put it in quotes to use it as a string)" : string.Empty));
                return null;
            case FieldType.Bytes:
                if (node is YamlScalarNode { Kind: ScalarKind.String } b)
                {
                    try
                    {
                        return ByteString.FromBase64(b.Value.Replace('-', '+').Replace('_', '/'));
                    }
                    catch (FormatException)
                    {
                        _errors.Add(node.Position, path, "invalid base64 data");
                        return null;
                    }
                }

                _errors.Add(node.Position, path, $"expected a base64 string, got {Describe(node)}");
                return null;
            case FieldType.Bool:
                if (node is YamlScalarNode { Kind: ScalarKind.Bool } boolean)
                {
                    return CoreSchema.ParseBool(boolean.Value);
                }

                _errors.Add(node.Position, path, $"expected a boolean (true or false), got {Describe(node)}");
                return null;
            case FieldType.Double:
            case FieldType.Float:
                return ReadFloat(field.FieldType, node, path);
            default:
                return ReadInteger(field.FieldType, node, path, quotedAllowed: Is64Bit(field.FieldType));
        }
    }

    private IMessage? ReadMessageValue(MessageDescriptor type, YamlNode node, string path)
    {
        if (type.FullName == Duration.Descriptor.FullName)
        {
            if (node is YamlScalarNode { Kind: ScalarKind.String } text)
            {
                if (DurationParser.TryParse(text.Value, out var duration))
                {
                    return duration;
                }

                _errors.Add(node.Position, path, $"invalid duration \"{YamlDocumentParser.Truncate(text.Value)}\", expected e.g. \"3600s\", \"1.5s\", \"1h30m\" or \"500ms\"");
                return null;
            }

            _errors.Add(node.Position, path, $"expected a duration string such as \"20s\" or \"1h30m\", got {Describe(node)}");
            return null;
        }

        if (type.File.Package == "google.protobuf")
        {
            _errors.Add(node.Position, path, $"values of type {type.FullName} are not supported in configuration files");
            return null;
        }

        if (node is not YamlMappingNode mapping)
        {
            _errors.Add(node.Position, path, $"expected a mapping, got {Describe(node)}");
            return null;
        }

        var message = type.Parser.ParseFrom(ByteString.Empty);
        ReadMessage(mapping, message, path);
        return message;
    }

    private object? ReadEnum(EnumDescriptor type, YamlNode node, string path)
    {
        var names = string.Join(", ", type.Values.Select(v => v.Name));
        if (node is YamlScalarNode { Kind: ScalarKind.String } text)
        {
            var value = type.FindValueByName(text.Value);
            if (value is not null)
            {
                return System.Enum.ToObject(type.ClrType, value.Number);
            }

            _errors.Add(node.Position, path, $"invalid value \"{YamlDocumentParser.Truncate(text.Value)}\", expected one of: {names}");
            return null;
        }

        _errors.Add(node.Position, path, $"expected one of: {names}, got {Describe(node)}");
        return null;
    }

    private object? ReadInteger(FieldType type, YamlNode node, string path, bool quotedAllowed)
    {
        BigInteger? value = node switch
        {
            YamlScalarNode { Kind: ScalarKind.Int } i => CoreSchema.ParseInt(i.Value),
            YamlScalarNode { Kind: ScalarKind.Float } f => CoreSchema.FloatTextToInteger(f.Value),
            YamlScalarNode { Kind: ScalarKind.String } s when quotedAllowed && IsDecimal(s.Value) => BigInteger.Parse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
            _ => null,
        };

        var (name, min, max) = IntegerRange(type);
        if (value is null)
        {
            _errors.Add(node.Position, path, $"expected an integer, got {Describe(node)}");
            return null;
        }

        if (value < min || value > max)
        {
            _errors.Add(node.Position, path, $"{value} is out of range for {name} ({min} to {max})");
            return null;
        }

        return type switch
        {
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => (object)(int)value.Value,
            FieldType.UInt32 or FieldType.Fixed32 => (uint)value.Value,
            FieldType.UInt64 or FieldType.Fixed64 => (ulong)value.Value,
            _ => (long)value.Value,
        };
    }

    private object? ReadFloat(FieldType type, YamlNode node, string path)
    {
        double? value = node switch
        {
            YamlScalarNode { Kind: ScalarKind.Int or ScalarKind.Float } n => CoreSchema.ParseFloat(n.Value),
            YamlScalarNode { Kind: ScalarKind.String, Value: "NaN" } => double.NaN,
            YamlScalarNode { Kind: ScalarKind.String, Value: "Infinity" } => double.PositiveInfinity,
            YamlScalarNode { Kind: ScalarKind.String, Value: "-Infinity" } => double.NegativeInfinity,
            YamlScalarNode { Kind: ScalarKind.String } s when IsJsonNumber(s.Value) => CoreSchema.ParseFloat(s.Value),
            _ => null,
        };

        if (value is null)
        {
            _errors.Add(node.Position, path, $"expected a number, got {Describe(node)}");
            return null;
        }

        if (type == FieldType.Double)
        {
            return value.Value;
        }

        var single = (float)value.Value;
        if (float.IsInfinity(single) && !double.IsInfinity(value.Value))
        {
            _errors.Add(node.Position, path, $"{((YamlScalarNode)node).Value} is out of range for float");
            return null;
        }

        return single;
    }

    private bool Visit()
    {
        if (_aborted)
        {
            return false;
        }

        if (++_values <= MaxValues)
        {
            return true;
        }

        _aborted = true;
        _errors.Add(SourcePosition.Unknown, string.Empty, $"the document has more than {MaxValues} values (are aliases expanding recursively?)");
        return false;
    }

    private static bool Is64Bit(FieldType type) =>
        type is FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 or FieldType.UInt64 or FieldType.Fixed64;

    private static bool IsDecimal(string text)
    {
        var digits = text.StartsWith('-') ? text.AsSpan(1) : text.AsSpan();
        return !digits.IsEmpty && digits.Length <= 40 && !digits.ContainsAnyExceptInRange('0', '9');
    }

    private static bool IsJsonNumber(string text) =>
        text.Length is > 0 and <= 64 && !text.AsSpan().ContainsAnyExcept(JsonNumberChars) && CoreSchema.IsFloat(text);

    private static (string Name, BigInteger Min, BigInteger Max) IntegerRange(FieldType type) => type switch
    {
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => ("int32", int.MinValue, int.MaxValue),
        FieldType.UInt32 or FieldType.Fixed32 => ("uint32", uint.MinValue, uint.MaxValue),
        FieldType.UInt64 or FieldType.Fixed64 => ("uint64", ulong.MinValue, ulong.MaxValue),
        _ => ("int64", long.MinValue, long.MaxValue),
    };

    private static Dictionary<string, FieldDescriptor> BuildKeyIndex(MessageDescriptor descriptor)
    {
        var index = new Dictionary<string, FieldDescriptor>(StringComparer.Ordinal);
        foreach (var field in descriptor.Fields.InDeclarationOrder())
        {
            index[field.Name] = field;
        }

        foreach (var field in descriptor.Fields.InDeclarationOrder())
        {
            index[field.JsonName] = field;
        }

        return index;
    }

    private static string KnownKeys(MessageDescriptor descriptor) =>
        string.Join(", ", descriptor.Fields.InDeclarationOrder().Select(f => f.JsonName));

    /// <summary>Describes a node for "got …" in error messages.</summary>
    internal static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Kind: ScalarKind.Null } => "null",
        YamlScalarNode { Kind: ScalarKind.Bool } s => $"boolean {s.Value}",
        YamlScalarNode { Kind: ScalarKind.Int } s => $"integer {s.Value}",
        YamlScalarNode { Kind: ScalarKind.Float } s => $"float {s.Value}",
        YamlScalarNode s => $"string \"{YamlDocumentParser.Truncate(s.Value)}\"",
        _ => "a value",
    };
}
