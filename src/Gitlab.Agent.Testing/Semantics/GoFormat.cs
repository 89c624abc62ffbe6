using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>Helpers reproducing Go's <c>%q</c> and apimachinery <c>field.Error</c> text so messages match the real server.</summary>
internal static class GoFormat
{
    /// <summary>Go's <c>strconv.Quote</c> for the characters that matter in Kubernetes messages.</summary>
    public static string Quote(string value)
    {
        var builder = new StringBuilder(value.Length + 2);
        builder.Append('"');
        foreach (var ch in value)
        {
            switch (ch)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (ch < 0x20 || ch == 0x7f)
                    {
                        builder.Append("\\x").Append(((int)ch).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(ch);
                    }

                    break;
            }
        }

        return builder.Append('"').ToString();
    }

    /// <summary><c>field.Invalid(path, value, detail).Error()</c> for a string value (<c>&lt;nil&gt;</c> when there is no path).</summary>
    public static string Invalid(string? path, string value, string detail)
        => $"{path ?? "<nil>"}: Invalid value: {Quote(value)}: {detail}";

    /// <summary><c>field.Invalid(path, values, detail).Error()</c> for a <c>[]string</c> value.</summary>
    public static string InvalidList(string? path, IReadOnlyList<string> values, string detail)
        => $"{path ?? "<nil>"}: Invalid value: []string{{{string.Join(", ", values.Select(Quote))}}}: {detail}";

    /// <summary><c>utilerrors.NewAggregate(errs).Error()</c>: one message alone, several in brackets.</summary>
    public static string Aggregate(IReadOnlyList<string> messages)
    {
        var distinct = messages.Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count == 1 ? distinct[0] : "[" + string.Join(", ", distinct) + "]";
    }

    /// <summary>
    /// JSON as Go's <c>encoding/json</c> writes a decoded object: keys sorted, compact, HTML characters escaped.
    /// </summary>
    public static string GoJson(JsonNode? node)
    {
        var builder = new StringBuilder();
        WriteGoJson(builder, node);
        return builder.ToString();
    }

    private static void WriteGoJson(StringBuilder builder, JsonNode? node)
    {
        switch (node)
        {
            case null:
                builder.Append("null");
                break;
            case JsonObject obj:
                builder.Append('{');
                var first = true;
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        builder.Append(',');
                    }

                    first = false;
                    WriteGoString(builder, key);
                    builder.Append(':');
                    WriteGoJson(builder, value);
                }

                builder.Append('}');
                break;
            case JsonArray array:
                builder.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(',');
                    }

                    WriteGoJson(builder, array[i]);
                }

                builder.Append(']');
                break;
            default:
                if (node.GetValueKind() == JsonValueKind.String)
                {
                    WriteGoString(builder, node.GetValue<string>());
                }
                else
                {
                    builder.Append(node.ToJsonString());
                }

                break;
        }
    }

    private static void WriteGoString(StringBuilder builder, string value)
    {
        builder.Append('"');
        foreach (var ch in value)
        {
            switch (ch)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '<' or '>' or '&' or '\u2028' or '\u2029':
                    builder.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    if (ch < 0x20)
                    {
                        builder.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(ch);
                    }

                    break;
            }
        }

        builder.Append('"');
    }
}
