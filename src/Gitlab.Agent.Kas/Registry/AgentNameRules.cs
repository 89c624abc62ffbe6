namespace Gitlab.Agent.Kas.Registry;

/// <summary>GitLab's agent name rule: a lowercase DNS label of at most 63 characters.</summary>
internal static class AgentNameRules
{
    public const int MaxLength = 63;

    /// <summary>Returns an error message, or <see langword="null"/> when <paramref name="name"/> is valid.</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "agent name must not be empty";
        }

        if (name.Length > MaxLength)
        {
            return $"agent name '{name}' is longer than {MaxLength} characters";
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            var ok = char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || (c == '-' && i > 0 && i < name.Length - 1);
            if (!ok)
            {
                return $"agent name '{name}' is invalid: use lowercase letters, digits and '-' (not at the start or end)";
            }
        }

        return null;
    }
}
