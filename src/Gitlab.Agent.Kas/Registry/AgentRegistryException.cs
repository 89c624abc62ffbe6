namespace Gitlab.Agent.Kas.Registry;

/// <summary>An <see cref="IAgentRegistry"/> operation was refused; the message says why and names the object.</summary>
public sealed class AgentRegistryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AgentRegistryException() { }

    /// <summary>Creates the exception with a message.</summary>
    public AgentRegistryException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public AgentRegistryException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with a kind and a message.</summary>
    public AgentRegistryException(AgentRegistryErrorKind kind, string message) : base(message) => Kind = kind;

    /// <summary>What went wrong.</summary>
    public AgentRegistryErrorKind Kind { get; init; } = AgentRegistryErrorKind.Invalid;
}

/// <summary>Classifies <see cref="AgentRegistryException"/>.</summary>
public enum AgentRegistryErrorKind
{
    /// <summary>An argument is invalid (name, path).</summary>
    Invalid,

    /// <summary>The object does not exist.</summary>
    NotFound,

    /// <summary>The object already exists.</summary>
    Conflict,

    /// <summary>A limit was reached (for example two active tokens per agent).</summary>
    LimitExceeded,
}
