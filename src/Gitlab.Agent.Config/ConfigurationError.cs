namespace Gitlab.Agent.Config;

/// <summary>One problem in a configuration file.</summary>
/// <param name="File">The file name as given to the parser (for agent configuration: the path in the repository).</param>
/// <param name="Line">1-based line of the offending node; 0 when the problem concerns the whole file or a value set in code.</param>
/// <param name="Column">1-based column of the offending node; 0 when <paramref name="Line"/> is 0.</param>
/// <param name="Path">Key path of the offending value, e.g. <c>gitops.manifest_projects[0].paths[1].glob</c>; empty for the whole document.</param>
/// <param name="Message">What is wrong, e.g. <c>unknown field "foo", expected one of: a, b</c>.</param>
public sealed record ConfigurationError(string File, int Line, int Column, string Path, string Message)
{
    /// <summary>Formats the error as <c>file:line:column: path: message</c> (position and path are left out when unknown).</summary>
    public override string ToString()
    {
        var location = Line > 0 ? $"{File}:{Line}:{Column}" : File;
        return Path.Length > 0 ? $"{location}: {Path}: {Message}" : $"{location}: {Message}";
    }
}
