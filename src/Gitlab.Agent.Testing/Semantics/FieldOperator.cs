namespace Gitlab.Agent.Testing.Semantics;

/// <summary>Operator of a field selector term.</summary>
internal enum FieldOperator
{
    /// <summary><c>field=value</c> or <c>field==value</c>.</summary>
    Equals,

    /// <summary><c>field!=value</c>.</summary>
    NotEquals,
}
