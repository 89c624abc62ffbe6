using System.Globalization;

namespace Gitlab.Agent.Management.Services;

/// <summary>GitLab global ids: <c>gid://gitlab/&lt;Type&gt;/&lt;id&gt;</c>.</summary>
internal static class GlobalId
{
    public const string AgentType = "Clusters::Agent";
    public const string AgentTokenType = "Clusters::AgentToken";
    public const string ProjectType = "Project";
    public const string UserType = "User";
    private const string Prefix = "gid://gitlab/";

    public static string Format(string type, long id) => Prefix + type + "/" + id.ToString(CultureInfo.InvariantCulture);

    public static string Agent(long id) => Format(AgentType, id);

    public static string AgentToken(long id) => Format(AgentTokenType, id);

    public static string Project(long id) => Format(ProjectType, id);

    /// <summary>Parses a global id of <paramref name="type"/>; returns an error message naming the value and the expected shape otherwise.</summary>
    public static bool TryParse(string? value, string type, out long id, out string? error)
    {
        id = 0;
        error = null;
        var expectedPrefix = Prefix + type + "/";
        if (value is not null && value.StartsWith(expectedPrefix, StringComparison.Ordinal)
            && long.TryParse(value.AsSpan(expectedPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0)
        {
            return true;
        }

        error = $"'{value}' is not a valid {type} global id (expected {expectedPrefix}<id>)";
        return false;
    }
}
