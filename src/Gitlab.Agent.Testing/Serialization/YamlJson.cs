using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Gitlab.Agent.Testing;

/// <summary>Converts a YAML (or JSON) document into <see cref="JsonNode"/>s, typing plain scalars as sigs.k8s.io/yaml does.</summary>
internal static class YamlJson
{
    /// <summary>Parses a single-document body that must be a mapping.</summary>
    public static JsonObject ParseObject(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{'))
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new FormatException("expected a mapping");
        }

        var parser = new Parser(new StringReader(text));
        parser.Consume<StreamStart>();
        if (!parser.TryConsume<DocumentStart>(out _))
        {
            throw new FormatException("empty document");
        }

        var node = ReadNode(parser);
        return node as JsonObject ?? throw new FormatException("expected a mapping at the top level");
    }

    private static JsonNode? ReadNode(IParser parser)
    {
        if (parser.TryConsume<MappingStart>(out _))
        {
            var obj = new JsonObject();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var key = parser.Consume<Scalar>().Value;
                obj[key] = ReadNode(parser);
            }

            return obj;
        }

        if (parser.TryConsume<SequenceStart>(out _))
        {
            var arr = new JsonArray();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                arr.Add(ReadNode(parser));
            }

            return arr;
        }

        if (parser.TryConsume<AnchorAlias>(out _))
        {
            throw new FormatException("YAML aliases are not supported");
        }

        var scalar = parser.Consume<Scalar>();
        return scalar.Style is ScalarStyle.Plain ? TypePlain(scalar.Value) : JsonValue.Create(scalar.Value);
    }

    private static JsonNode? TypePlain(string v)
    {
        switch (v)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "y" or "Y":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "n" or "N":
                return JsonValue.Create(false);
        }

        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }

        if (v.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(v.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex))
        {
            return JsonValue.Create(hex);
        }

        if ((v.Contains('.', StringComparison.Ordinal) || v.Contains('e', StringComparison.OrdinalIgnoreCase))
            && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsInfinity(d) && char.IsAsciiDigit(v[^1]))
        {
            return JsonValue.Create(d);
        }

        return JsonValue.Create(v);
    }
}
