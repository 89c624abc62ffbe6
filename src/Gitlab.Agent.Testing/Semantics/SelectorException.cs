namespace Gitlab.Agent.Testing.Semantics;

/// <summary>A label or field selector could not be parsed; the message follows apimachinery's wording.</summary>
internal sealed class SelectorException(string message) : Exception(message);
