using System.Globalization;

namespace Gitlab.Agent.Management;

/// <summary>URL paths of the web UI.</summary>
internal static class UiPaths
{
    public const string Root = "/-/ui";

    public static string Agent(long agentId) => Root + "/agents/" + agentId.ToString(CultureInfo.InvariantCulture);

    public static string Project(string projectPath) => Root + "/projects/" + projectPath;
}
