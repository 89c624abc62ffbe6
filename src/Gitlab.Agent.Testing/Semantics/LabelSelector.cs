using System.Globalization;
using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>Operators of a label selector requirement (apimachinery <c>selection.Operator</c>).</summary>
internal enum LabelOperator
{
    /// <summary><c>key=value</c>, <c>key==value</c> or <c>key in (a,b)</c>.</summary>
    In,

    /// <summary><c>key!=value</c> or <c>key notin (a,b)</c>.</summary>
    NotIn,

    /// <summary><c>key</c>.</summary>
    Exists,

    /// <summary><c>!key</c>.</summary>
    DoesNotExist,

    /// <summary><c>key&gt;1</c>.</summary>
    GreaterThan,

    /// <summary><c>key&lt;1</c>.</summary>
    LessThan,
}

/// <summary>One requirement of a label selector: key, operator and (sorted, distinct) values.</summary>
internal sealed record LabelRequirement(string Key, LabelOperator Operator, IReadOnlyList<string> Values)
{
    /// <summary>Whether the label set satisfies this requirement (apimachinery <c>Requirement.Matches</c>).</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        var exists = labels.TryGetValue(Key, out var value);
        switch (Operator)
        {
            case LabelOperator.In:
                return exists && Values.Contains(value!, StringComparer.Ordinal);
            case LabelOperator.NotIn:
                return !exists || !Values.Contains(value!, StringComparer.Ordinal);
            case LabelOperator.Exists:
                return exists;
            case LabelOperator.DoesNotExist:
                return !exists;
            case LabelOperator.GreaterThan:
            case LabelOperator.LessThan:
                if (!exists || Values.Count != 1
                    || !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var actual)
                    || !long.TryParse(Values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bound))
                {
                    return false;
                }

                return Operator == LabelOperator.GreaterThan ? actual > bound : actual < bound;
            default:
                return false;
        }
    }
}

/// <summary>
/// A Kubernetes label selector: the string grammar of apimachinery <c>labels.Parse</c>
/// (<c>=</c>, <c>==</c>, <c>!=</c>, <c>in (a,b)</c>, <c>notin (a,b)</c>, <c>key</c>, <c>!key</c>, <c>&gt;</c>, <c>&lt;</c>)
/// and the structured <c>metav1.LabelSelector</c>.
/// </summary>
internal sealed class LabelSelector
{
    private static readonly LabelSelector Everything = new([], matchesNothing: false);
    private static readonly LabelSelector Nothing = new([], matchesNothing: true);

    private readonly bool _matchesNothing;

    private LabelSelector(IReadOnlyList<LabelRequirement> requirements, bool matchesNothing)
    {
        Requirements = requirements;
        _matchesNothing = matchesNothing;
    }

    /// <summary>The requirements, sorted by key as apimachinery does; all must match.</summary>
    public IReadOnlyList<LabelRequirement> Requirements { get; }

    /// <summary>True when the selector does not restrict anything (it matches every object).</summary>
    public bool IsEmpty => !_matchesNothing && Requirements.Count == 0;

    /// <summary>Parses the string form (query parameter <c>labelSelector</c>); null or empty selects everything.</summary>
    /// <exception cref="SelectorException">The text is not a valid selector.</exception>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return Everything;
        }

        var requirements = new LabelSelectorParser(text).Parse();
        return new LabelSelector(requirements.OrderBy(r => r.Key, StringComparer.Ordinal).ToList(), matchesNothing: false);
    }

    /// <summary>
    /// Converts a <c>metav1.LabelSelector</c> (<c>matchLabels</c>, <c>matchExpressions</c>) like
    /// <c>metav1.LabelSelectorAsSelector</c>: null matches nothing, an empty object matches everything.
    /// </summary>
    /// <exception cref="SelectorException">An operator, key or value is invalid.</exception>
    public static LabelSelector FromLabelSelectorObject(JsonObject? selector)
    {
        if (selector is null)
        {
            return Nothing;
        }

        var matchLabels = selector["matchLabels"] as JsonObject;
        var matchExpressions = selector["matchExpressions"] as JsonArray;
        if ((matchLabels is null || matchLabels.Count == 0) && (matchExpressions is null || matchExpressions.Count == 0))
        {
            return Everything;
        }

        var requirements = new List<LabelRequirement>();
        foreach (var (key, valueNode) in matchLabels ?? [])
        {
            var value = valueNode?.GetValueKind() == System.Text.Json.JsonValueKind.String ? valueNode.GetValue<string>() : valueNode?.ToJsonString() ?? "";
            requirements.Add(CreateRequirement(key, LabelOperator.In, [value], "key"));
        }

        foreach (var expressionNode in matchExpressions ?? [])
        {
            if (expressionNode is not JsonObject expression)
            {
                throw new SelectorException("matchExpressions: each item must be an object");
            }

            var key = expression["key"]?.GetValue<string>() ?? "";
            var operatorText = expression["operator"]?.GetValue<string>() ?? "";
            var values = (expression["values"] as JsonArray)?.Select(v => v?.GetValue<string>() ?? "").ToList() ?? [];
            var op = operatorText switch
            {
                "In" => LabelOperator.In,
                "NotIn" => LabelOperator.NotIn,
                "Exists" => LabelOperator.Exists,
                "DoesNotExist" => LabelOperator.DoesNotExist,
                _ => throw new SelectorException($"{GoFormat.Quote(operatorText)} is not a valid label selector operator"),
            };
            requirements.Add(CreateRequirement(key, op, values, "key"));
        }

        return new LabelSelector(requirements.OrderBy(r => r.Key, StringComparer.Ordinal).ToList(), matchesNothing: false);
    }

    /// <summary>Whether the labels (null = none) satisfy every requirement.</summary>
    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        if (_matchesNothing)
        {
            return false;
        }

        labels ??= new Dictionary<string, string>();
        foreach (var requirement in Requirements)
        {
            if (!requirement.Matches(labels))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads <c>metadata.labels</c> of an object as a dictionary (empty when absent).</summary>
    public static IReadOnlyDictionary<string, string> LabelsOf(JsonObject? obj)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj?["metadata"]?["labels"] is JsonObject labels)
        {
            foreach (var (key, value) in labels)
            {
                if (value is JsonValue v && v.TryGetValue<string>(out var text))
                {
                    result[key] = text;
                }
            }
        }

        return result;
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(",", Requirements.Select(Format));

    /// <summary>Validates like apimachinery <c>NewRequirement</c> and builds a requirement with sorted distinct values.</summary>
    internal static LabelRequirement CreateRequirement(string key, LabelOperator op, IReadOnlyList<string> values, string? keyPath)
    {
        var errors = new List<string>();
        var keyErrors = LabelValidation.QualifiedNameErrors(key);
        if (keyErrors.Count > 0)
        {
            errors.Add(GoFormat.Invalid(keyPath, key, string.Join("; ", keyErrors)));
        }

        switch (op)
        {
            case LabelOperator.In or LabelOperator.NotIn when values.Count == 0:
                errors.Add(GoFormat.InvalidList("values", values, "for 'in', 'notin' operators, values set can't be empty"));
                break;
            case LabelOperator.Exists or LabelOperator.DoesNotExist when values.Count != 0:
                errors.Add(GoFormat.InvalidList("values", values, "values set must be empty for exists and does not exist"));
                break;
            case LabelOperator.GreaterThan or LabelOperator.LessThan:
                if (values.Count != 1)
                {
                    errors.Add(GoFormat.InvalidList("values", values, "for 'Gt', 'Lt' operators, exactly one value is required"));
                }

                for (var i = 0; i < values.Count; i++)
                {
                    if (!long.TryParse(values[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                    {
                        errors.Add(GoFormat.Invalid($"values[{i}]", values[i], "for 'Gt', 'Lt' operators, the value must be an integer"));
                    }
                }

                break;
        }

        for (var i = 0; i < values.Count; i++)
        {
            var valueErrors = LabelValidation.LabelValueErrors(values[i]);
            if (valueErrors.Count > 0)
            {
                errors.Add(GoFormat.Invalid($"values[{i}][{key}]", values[i], string.Join("; ", valueErrors)));
            }
        }

        if (errors.Count > 0)
        {
            throw new SelectorException(GoFormat.Aggregate(errors));
        }

        return new LabelRequirement(key, op, values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList());
    }

    private static string Format(LabelRequirement requirement) => requirement.Operator switch
    {
        LabelOperator.Exists => requirement.Key,
        LabelOperator.DoesNotExist => "!" + requirement.Key,
        LabelOperator.In when requirement.Values.Count == 1 => requirement.Key + "=" + requirement.Values[0],
        LabelOperator.NotIn when requirement.Values.Count == 1 => requirement.Key + "!=" + requirement.Values[0],
        LabelOperator.In => requirement.Key + " in (" + string.Join(",", requirement.Values) + ")",
        LabelOperator.NotIn => requirement.Key + " notin (" + string.Join(",", requirement.Values) + ")",
        LabelOperator.GreaterThan => requirement.Key + ">" + requirement.Values[0],
        _ => requirement.Key + "<" + requirement.Values[0],
    };
}
