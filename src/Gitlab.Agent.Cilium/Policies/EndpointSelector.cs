using System.Text.Json;

namespace Gitlab.Agent.Cilium.Policies;

/// <summary>
/// A Cilium endpoint selector (<c>matchLabels</c> + <c>matchExpressions</c>) evaluated exactly like a Kubernetes label
/// selector over Cilium labels: keys are compared whole, values exactly, and a key without a source prefix
/// (<c>app</c>) selects labels of any source while <c>k8s:app</c> selects only Kubernetes labels.
/// </summary>
internal sealed class EndpointSelector
{
    private readonly Requirement[] _requirements;

    private EndpointSelector(Requirement[] requirements) => _requirements = requirements;

    /// <summary>The empty selector <c>{}</c>: selects every endpoint.</summary>
    public static EndpointSelector All { get; } = new([]);

    /// <summary>Whether the selector constrains the pod namespace itself.</summary>
    public bool SelectsNamespace => Array.Exists(_requirements, r => r.Key == CiliumLabel.NamespaceKey);

    /// <summary>Returns a copy that additionally requires the endpoint to be in <paramref name="namespace"/>.</summary>
    public EndpointSelector WithNamespace(string @namespace) =>
        new([.. _requirements, new Requirement(CiliumLabel.AnySource, CiliumLabel.NamespaceKey, SelectorOperator.In, [@namespace])]);

    /// <summary>Whether every requirement holds for the endpoint <paramref name="labels"/>.</summary>
    public bool Matches(in EndpointLabels labels)
    {
        foreach (var requirement in _requirements)
        {
            if (!requirement.Matches(labels))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses a selector object; <paramref name="path"/> is used in error messages.</summary>
    public static EndpointSelector Parse(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return All;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new PolicyParseException($"{path}: expected an object, got {element.ValueKind}");
        }

        var requirements = new List<Requirement>();
        if (element.TryGetProperty("matchLabels", out var matchLabels) && matchLabels.ValueKind != JsonValueKind.Null)
        {
            if (matchLabels.ValueKind != JsonValueKind.Object)
            {
                throw new PolicyParseException($"{path}.matchLabels: expected an object, got {matchLabels.ValueKind}");
            }

            foreach (var property in matchLabels.EnumerateObject())
            {
                var value = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Null => string.Empty,
                    _ => throw new PolicyParseException($"{path}.matchLabels.{property.Name}: expected a string, got {property.Value.ValueKind}"),
                };
                var (source, key) = CiliumLabel.ParseSelectorKey(property.Name);
                requirements.Add(new Requirement(source, key, SelectorOperator.Equals, [value]));
            }
        }

        if (element.TryGetProperty("matchExpressions", out var expressions) && expressions.ValueKind != JsonValueKind.Null)
        {
            if (expressions.ValueKind != JsonValueKind.Array)
            {
                throw new PolicyParseException($"{path}.matchExpressions: expected an array, got {expressions.ValueKind}");
            }

            var index = 0;
            foreach (var expression in expressions.EnumerateArray())
            {
                requirements.Add(ParseExpression(expression, $"{path}.matchExpressions[{index}]"));
                index++;
            }
        }

        return requirements.Count == 0 ? All : new EndpointSelector([.. requirements]);
    }

    private static Requirement ParseExpression(JsonElement expression, string path)
    {
        if (expression.ValueKind != JsonValueKind.Object)
        {
            throw new PolicyParseException($"{path}: expected an object, got {expression.ValueKind}");
        }

        var keyText = PolicyJson.GetString(expression, "key", path) ?? throw new PolicyParseException($"{path}.key: required");
        var operatorText = PolicyJson.GetString(expression, "operator", path) ?? throw new PolicyParseException($"{path}.operator: required");
        var op = operatorText switch
        {
            "In" => SelectorOperator.In,
            "NotIn" => SelectorOperator.NotIn,
            "Exists" => SelectorOperator.Exists,
            "DoesNotExist" => SelectorOperator.DoesNotExist,
            _ => throw new PolicyParseException($"{path}.operator: unknown operator \"{operatorText}\" (expected In, NotIn, Exists or DoesNotExist)"),
        };
        var values = PolicyJson.GetStringArray(expression, "values", path);
        if (op is SelectorOperator.In or SelectorOperator.NotIn && values.Length == 0)
        {
            throw new PolicyParseException($"{path}.values: operator {operatorText} needs at least one value");
        }

        if (op is SelectorOperator.Exists or SelectorOperator.DoesNotExist && values.Length != 0)
        {
            throw new PolicyParseException($"{path}.values: operator {operatorText} takes no values");
        }

        var (source, key) = CiliumLabel.ParseSelectorKey(keyText);
        return new Requirement(source, key, op, values);
    }

    private enum SelectorOperator
    {
        Equals,
        In,
        NotIn,
        Exists,
        DoesNotExist,
    }

    private readonly record struct Requirement(string Source, string Key, SelectorOperator Operator, string[] Values)
    {
        public bool Matches(in EndpointLabels endpoint)
        {
            var found = false;
            var valueMatched = false;
            var labels = endpoint.Labels;
            for (var i = 0; i < labels.Count; i++)
            {
                if (!CiliumLabel.TryMatch(labels[i], Source, Key, out var value))
                {
                    continue;
                }

                found = true;
                if (Contains(value))
                {
                    valueMatched = true;
                    break;
                }
            }

            if (!found && endpoint.NamespaceLabelMissing && Key == CiliumLabel.NamespaceKey &&
                (Source == CiliumLabel.AnySource || Source == CiliumLabel.KubernetesSource))
            {
                found = true;
                valueMatched = Contains(endpoint.Namespace);
            }

            return Operator switch
            {
                SelectorOperator.Equals or SelectorOperator.In => valueMatched,
                SelectorOperator.NotIn => !valueMatched,
                SelectorOperator.Exists => found,
                SelectorOperator.DoesNotExist => !found,
                _ => false,
            };
        }

        private bool Contains(ReadOnlySpan<char> value)
        {
            foreach (var candidate in Values)
            {
                if (value.SequenceEqual(candidate))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
