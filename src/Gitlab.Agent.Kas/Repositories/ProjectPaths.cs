namespace Gitlab.Agent.Kas.Repositories;

/// <summary>Validation of project paths such as <c>group/subgroup/project</c>. Paths map to directories, so this also guards against path traversal.</summary>
internal static class ProjectPaths
{
    public const int MaxLength = 255;

    /// <summary>Returns an error message naming the problem, or <see langword="null"/> when <paramref name="path"/> is valid.</summary>
    public static string? Validate(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "project path must not be empty";
        }

        if (path.Length > MaxLength)
        {
            return $"project path '{path}' is longer than {MaxLength} characters";
        }

        var segments = path.Split('/');
        if (segments.Length < 2)
        {
            return $"project path '{path}' must have a namespace and a name, e.g. group/project";
        }

        foreach (var segment in segments)
        {
            if (segment.Length == 0)
            {
                return $"project path '{path}' has an empty segment";
            }

            if (segment[0] is '.' or '-' || segment.EndsWith(".git", StringComparison.OrdinalIgnoreCase) || segment.EndsWith('.'))
            {
                return $"project path '{path}': segment '{segment}' must not start with '.' or '-' nor end with '.' or '.git'";
            }

            foreach (var c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                {
                    return $"project path '{path}': segment '{segment}' may contain only letters, digits, '_', '-' and '.'";
                }
            }
        }

        return null;
    }

    /// <summary>Throws <see cref="RepositoryException"/> (<see cref="RepositoryErrorKind.ProjectNotFound"/>) for an invalid path.</summary>
    public static void ThrowIfInvalid(string projectPath)
    {
        if (Validate(projectPath) is { } error)
        {
            throw new RepositoryException(error) { Kind = RepositoryErrorKind.ProjectNotFound };
        }
    }
}
