namespace Gitlab.Agent.Testing.Semantics;

/// <summary>One term of a field selector; <paramref name="Value"/> is already unescaped.</summary>
internal sealed record FieldRequirement(string Field, FieldOperator Operator, string Value);
