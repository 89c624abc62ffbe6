namespace Gitlab.Agent.Kas.Repositories;

/// <summary>A git reference: exactly one of branch, tag or commit.</summary>
/// <param name="Kind">Which kind of reference <paramref name="Name"/> is.</param>
/// <param name="Name">Branch name, tag name or commit id.</param>
public sealed record GitReference(GitReferenceKind Kind, string Name)
{
    /// <inheritdoc />
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()} {Name}";
}

/// <summary>Kinds of <see cref="GitReference"/>.</summary>
public enum GitReferenceKind
{
    /// <summary>A branch (<c>refs/heads/&lt;name&gt;</c>).</summary>
    Branch,

    /// <summary>A tag (<c>refs/tags/&lt;name&gt;</c>).</summary>
    Tag,

    /// <summary>A commit id.</summary>
    Commit,
}
