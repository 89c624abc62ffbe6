using System.Text.RegularExpressions;

namespace Gitlab.Agent.Config;

/// <summary>
/// Agent names as GitLab accepts them: <c>^[a-z0-9]([-a-z0-9]*[a-z0-9])?$</c>, at most 63 characters
/// (a DNS label). The name selects the configuration file <c>.gitlab/agents/&lt;name&gt;/config.yaml</c>.
/// </summary>
public static partial class AgentName
{
    /// <summary>Maximum length of an agent name.</summary>
    public const int MaxLength = 63;

    /// <summary>Whether <paramref name="name"/> is a valid agent name.</summary>
    public static bool IsValid(string? name) => name is { Length: > 0 and <= MaxLength } && NameRegex().IsMatch(name);

    /// <summary>Throws <see cref="ArgumentException"/> explaining why <paramref name="name"/> is not a valid agent name.</summary>
    public static void Validate(string name)
    {
        if (IsValid(name))
        {
            return;
        }

        var reason = name switch
        {
            null or "" => "it is empty",
            { Length: > MaxLength } => $"it is {name.Length} characters long, the maximum is {MaxLength}",
            _ => "it must consist of lower case letters, digits and '-', and start and end with a letter or digit",
        };
        throw new ArgumentException($"Invalid agent name \"{name}\": {reason}.", nameof(name));
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex NameRegex();
}
