using System.Globalization;
using System.Text;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>
/// A Kubernetes field selector (apimachinery <c>fields.ParseSelector</c>): comma-separated terms with
/// <c>=</c>, <c>==</c> or <c>!=</c>; <c>\</c> escapes <c>\</c>, <c>,</c> and <c>=</c> in values.
/// Which fields are supported is the caller's business (the server answers
/// <c>field label not supported: X</c>).
/// </summary>
internal sealed class FieldSelector
{
    private static readonly string[] TermOperators = ["!=", "==", "="];

    private FieldSelector(IReadOnlyList<FieldRequirement> requirements) => Requirements = requirements;

    /// <summary>The terms, sorted like apimachinery sorts them; all must match.</summary>
    public IReadOnlyList<FieldRequirement> Requirements { get; }

    /// <summary>True when the selector has no terms.</summary>
    public bool IsEmpty => Requirements.Count == 0;

    /// <summary>Parses the query parameter <c>fieldSelector</c>; null or empty selects everything.</summary>
    /// <exception cref="SelectorException">A term has no operator or a value has a bad escape.</exception>
    public static FieldSelector Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return new FieldSelector([]);
        }

        var parts = SplitTerms(text);
        parts.Sort(StringComparer.Ordinal);
        var requirements = new List<FieldRequirement>();
        foreach (var part in parts)
        {
            if (part.Length == 0)
            {
                continue;
            }

            if (!SplitTerm(part, out var field, out var op, out var rawValue))
            {
                throw new SelectorException($"invalid selector: '{text}'; can't understand '{part}'");
            }

            var value = UnescapeValue(rawValue);
            requirements.Add(new FieldRequirement(field, op == "!=" ? FieldOperator.NotEquals : FieldOperator.Equals, value));
        }

        return new FieldSelector(requirements);
    }

    /// <summary>Whether every term matches; <paramref name="fieldValue"/> returns null for a missing field (treated as "").</summary>
    public bool Matches(Func<string, string?> fieldValue)
    {
        foreach (var requirement in Requirements)
        {
            var actual = fieldValue(requirement.Field) ?? "";
            var equal = string.Equals(actual, requirement.Value, StringComparison.Ordinal);
            if (equal != (requirement.Operator == FieldOperator.Equals))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The value a term <c>field=value</c> requires, if the selector has one (for fast lookups by name).</summary>
    public string? RequiresExactMatch(string field)
        => Requirements.FirstOrDefault(r => r.Operator == FieldOperator.Equals && r.Field == field)?.Value;

    /// <summary>Escapes <c>\</c>, <c>,</c> and <c>=</c> for use in a selector value (apimachinery <c>EscapeValue</c>).</summary>
    public static string EscapeValue(string value)
        => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(",", "\\,", StringComparison.Ordinal).Replace("=", "\\=", StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString()
        => string.Join(",", Requirements.Select(r => r.Field + (r.Operator == FieldOperator.Equals ? "=" : "!=") + EscapeValue(r.Value)));

    private static List<string> SplitTerms(string text)
    {
        var terms = new List<string>();
        var start = 0;
        var inSlash = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inSlash)
            {
                inSlash = false;
            }
            else if (c == '\\')
            {
                inSlash = true;
            }
            else if (c == ',')
            {
                terms.Add(text[start..i]);
                start = i + 1;
            }
        }

        terms.Add(text[start..]);
        return terms;
    }

    private static bool SplitTerm(string term, out string field, out string op, out string value)
    {
        for (var i = 0; i < term.Length; i++)
        {
            foreach (var candidate in TermOperators)
            {
                if (string.CompareOrdinal(term, i, candidate, 0, candidate.Length) == 0)
                {
                    field = term[..i];
                    op = candidate;
                    value = term[(i + candidate.Length)..];
                    return true;
                }
            }
        }

        field = op = value = "";
        return false;
    }

    private static string UnescapeValue(string value)
    {
        if (value.AsSpan().IndexOfAny('\\', ',', '=') < 0)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length);
        var inSlash = false;
        foreach (var c in value)
        {
            if (inSlash)
            {
                if (c is '\\' or ',' or '=')
                {
                    builder.Append(c);
                    inSlash = false;
                    continue;
                }

                throw new SelectorException("invalid field selector: invalid escape sequence: \\" + c);
            }

            switch (c)
            {
                case '\\':
                    inSlash = true;
                    break;
                case ',' or '=':
                    // Go formats the rune with %v, which prints its code point.
                    throw new SelectorException("invalid field selector: unescaped character in value: " + ((int)c).ToString(CultureInfo.InvariantCulture));
                default:
                    builder.Append(c);
                    break;
            }
        }

        if (inSlash)
        {
            throw new SelectorException("invalid field selector: invalid escape sequence: \\");
        }

        return builder.ToString();
    }
}
