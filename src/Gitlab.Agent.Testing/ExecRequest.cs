namespace Gitlab.Agent.Testing;

/// <summary>A <c>pods/exec</c> or <c>pods/attach</c> request as the test exec/attach handler sees it.</summary>
/// <param name="Namespace">Namespace of the pod.</param>
/// <param name="Pod">Pod name.</param>
/// <param name="Container">Container name (the first container when the client named none).</param>
/// <param name="Command">Command and arguments (empty for attach).</param>
/// <param name="Stdin">True when the client attached standard input.</param>
/// <param name="Tty">True when the client asked for a terminal.</param>
/// <param name="User">The (impersonated) user name that made the request.</param>
public sealed record ExecRequest(string Namespace, string Pod, string Container, IReadOnlyList<string> Command, bool Stdin, bool Tty, string User);
