using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing;

/// <summary>
/// The subset of Kubernetes JSONPath that CRD printer columns use: <c>.a.b</c>, <c>[n]</c>, <c>[*]</c> and
/// filters <c>[?(@.type=='Ready')]</c> (with <c>==</c> or <c>!=</c>). Returns every match in document order.
/// </summary>
internal static class SimpleJsonPath
{
    public static IReadOnlyList<JsonNode?> Evaluate(JsonNode? root, string path)
    {
        var current = new List<JsonNode?> { root };
        var p = path.Trim();
        if (p.StartsWith('{') && p.EndsWith('}'))
        {
            p = p[1..^1];
        }

        if (p.StartsWith('$'))
        {
            p = p[1..];
        }

        var i = 0;
        while (i < p.Length && current.Count > 0)
        {
            if (p[i] == '.')
            {
                i++;
                var start = i;
                while (i < p.Length && p[i] is not ('.' or '['))
                {
                    i++;
                }

                var name = p[start..i];
                if (name.Length == 0)
                {
                    continue;
                }

                current = current.Select(n => n is JsonObject o ? o[name] : null).Where(n => n is not null).ToList();
            }
            else if (p[i] == '[')
            {
                var end = FindClose(p, i);
                var inner = p[(i + 1)..end].Trim();
                i = end + 1;
                current = Apply(current, inner);
            }
            else
            {
                return [];
            }
        }

        return current;
    }

    private static int FindClose(string p, int open)
    {
        var depth = 0;
        var quote = '\0';
        for (var i = open; i < p.Length; i++)
        {
            var c = p[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }

                continue;
            }

            switch (c)
            {
                case '\'' or '"':
                    quote = c;
                    break;
                case '[':
                    depth++;
                    break;
                case ']':
                    depth--;
                    if (depth == 0)
                    {
                        return i;
                    }

                    break;
            }
        }

        throw new FormatException($"unclosed [ in JSONPath '{p}'");
    }

    private static List<JsonNode?> Apply(List<JsonNode?> nodes, string inner)
    {
        var result = new List<JsonNode?>();
        foreach (var node in nodes)
        {
            if (node is not JsonArray array)
            {
                if (node is JsonObject obj && (inner.StartsWith('\'') || inner.StartsWith('"')))
                {
                    result.Add(obj[inner.Trim('\'', '"')]);
                }

                continue;
            }

            if (inner == "*")
            {
                result.AddRange(array);
            }
            else if (inner.StartsWith("?(", StringComparison.Ordinal) && inner.EndsWith(')'))
            {
                var expr = inner[2..^1].Trim();
                var negate = expr.Contains("!=", StringComparison.Ordinal);
                var parts = expr.Split(negate ? "!=" : "==", 2, StringSplitOptions.TrimEntries);
                if (parts.Length != 2 || !parts[0].StartsWith('@'))
                {
                    continue;
                }

                var expected = parts[1].Trim('\'', '"');
                foreach (var item in array)
                {
                    var matches = Evaluate(item, parts[0][1..]);
                    var actual = matches.Count > 0 ? matches[0] : null;
                    var text = actual is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : actual?.ToJsonString();
                    if ((text == expected) != negate)
                    {
                        result.Add(item);
                    }
                }
            }
            else if (int.TryParse(inner, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index))
            {
                if (index < 0)
                {
                    index += array.Count;
                }

                if (index >= 0 && index < array.Count)
                {
                    result.Add(array[index]);
                }
            }
        }

        return result.Where(n => n is not null).ToList();
    }
}
