namespace Gitlab.Agent.Testing.Semantics;

/// <summary>A non-resource request to authorize (e.g. <c>get /healthz</c>).</summary>
internal sealed record NonResourceAttributes(string Verb, string Path);
