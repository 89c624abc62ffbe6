namespace Gitlab.Agent.Testing.Semantics;

/// <summary>A resource request to authorize (verb e.g. <c>get</c>, <c>list</c>, <c>create</c>; group "" for core).</summary>
internal sealed record ResourceAttributes(string Verb, string Group, string Resource, string? Subresource, string? Namespace, string? Name);
