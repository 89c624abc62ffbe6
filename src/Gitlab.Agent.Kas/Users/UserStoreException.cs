namespace Gitlab.Agent.Kas.Users;

/// <summary>An <see cref="IUserStore"/> operation was refused; the message says why and names the object.</summary>
public sealed class UserStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UserStoreException() { }

    /// <summary>Creates the exception with a message.</summary>
    public UserStoreException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public UserStoreException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with a kind and a message.</summary>
    public UserStoreException(UserStoreErrorKind kind, string message) : base(message) => Kind = kind;

    /// <summary>What went wrong.</summary>
    public UserStoreErrorKind Kind { get; init; } = UserStoreErrorKind.Invalid;
}

/// <summary>Classifies <see cref="UserStoreException"/>.</summary>
public enum UserStoreErrorKind
{
    /// <summary>An argument is invalid (username, path, scope, role).</summary>
    Invalid,

    /// <summary>The user or token does not exist.</summary>
    NotFound,

    /// <summary>The user already exists.</summary>
    Conflict,
}
