namespace Gitlab.Agent.Kas.Repositories;

/// <summary>A repository could not be read: unknown project or reference, file too large, or the git host failed.</summary>
public sealed class RepositoryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RepositoryException() { }

    /// <summary>Creates the exception with a message.</summary>
    public RepositoryException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public RepositoryException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>What went wrong.</summary>
    public RepositoryErrorKind Kind { get; init; } = RepositoryErrorKind.Unavailable;
}

/// <summary>Classifies <see cref="RepositoryException"/>: user errors are not retried, unavailability is.</summary>
public enum RepositoryErrorKind
{
    /// <summary>The git host or the repository could not be reached; retry later.</summary>
    Unavailable,

    /// <summary>The project does not exist.</summary>
    ProjectNotFound,

    /// <summary>The reference does not exist.</summary>
    ReferenceNotFound,

    /// <summary>A file exceeds a size limit.</summary>
    TooLarge,
}
