namespace Gitlab.Agent.Kas.Users;

/// <summary>Validation of usernames and namespace (group or project) paths for the user store.</summary>
internal static class UserPaths
{
    public const int MaxUsernameLength = 255;

    public static string? ValidateUsername(string? username)
    {
        if (string.IsNullOrEmpty(username))
        {
            return "username must not be empty";
        }

        if (username.Length > MaxUsernameLength)
        {
            return $"username '{username}' is longer than {MaxUsernameLength} characters";
        }

        if (username[0] is '.' or '-' || username.EndsWith('.') || username.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            return $"username '{username}' must not start with '.' or '-' nor end with '.' or '.git'";
        }

        foreach (var c in username)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                return $"username '{username}' may contain only letters, digits, '_', '-' and '.'";
            }
        }

        return null;
    }

    /// <summary>Validates a group path (one or more segments) or a project path (two or more segments).</summary>
    public static string? ValidateTarget(MembershipTarget target)
    {
        if (target.Kind == MembershipTargetKind.Project)
        {
            return Repositories.ProjectPaths.Validate(target.Path);
        }

        var path = target.Path;
        if (string.IsNullOrEmpty(path))
        {
            return "group path must not be empty";
        }

        if (path.Length > Repositories.ProjectPaths.MaxLength)
        {
            return $"group path '{path}' is longer than {Repositories.ProjectPaths.MaxLength} characters";
        }

        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0)
            {
                return $"group path '{path}' has an empty segment";
            }

            if (segment[0] is '.' or '-' || segment.EndsWith('.') || segment.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
            {
                return $"group path '{path}': segment '{segment}' must not start with '.' or '-' nor end with '.' or '.git'";
            }

            if (!segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                return $"group path '{path}': segment '{segment}' may contain only letters, digits, '_', '-' and '.'";
            }
        }

        return null;
    }
}
