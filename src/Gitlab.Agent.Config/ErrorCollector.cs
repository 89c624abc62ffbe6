using Gitlab.Agent.Config.Yaml;

namespace Gitlab.Agent.Config;

/// <summary>Collects every problem found in one file, up to <see cref="Limit"/>.</summary>
internal sealed class ErrorCollector(string file, int limit = ErrorCollector.DefaultLimit)
{
    /// <summary>Errors kept per file; further errors are only counted.</summary>
    public const int DefaultLimit = 50;

    private readonly List<ConfigurationError> _errors = [];

    public string File { get; } = file;

    public int Limit { get; } = limit;

    /// <summary>Errors found after the limit was reached.</summary>
    public int Omitted { get; private set; }

    public IReadOnlyList<ConfigurationError> Errors => _errors;

    public bool HasErrors => _errors.Count > 0;

    public void Add(SourcePosition position, string path, string message)
    {
        if (_errors.Count >= Limit)
        {
            Omitted++;
            return;
        }

        _errors.Add(new ConfigurationError(File, position.Line, position.Column, path, message));
    }

    private static bool IsPrefix(string prefix, string path) =>
        path.StartsWith(prefix, StringComparison.Ordinal)
        && (prefix.Length == 0 || path.Length == prefix.Length || path[prefix.Length] is '.' or '[');

    /// <summary>
    /// Whether an error was already reported for <paramref name="path"/>, one of its ancestors or descendants
    /// (validation skips such values: they are unset or incomplete because of the earlier error).
    /// </summary>
    public bool Touches(string path)
    {
        foreach (var error in _errors)
        {
            if (IsPrefix(error.Path, path) || IsPrefix(path, error.Path))
            {
                return true;
            }
        }

        return false;
    }

    public void ThrowIfAny()
    {
        if (HasErrors)
        {
            // Stable sort: errors appear in file order, whatever stage found them.
            throw new ConfigurationException([.. _errors.OrderBy(e => e.Line).ThenBy(e => e.Column)], Omitted);
        }
    }
}
