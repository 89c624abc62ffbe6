namespace Gitlab.Agent.Config.Yaml;

/// <summary>
/// Where each value of a parsed file was written, by key path (<c>gitops.manifest_projects[0].paths[1].glob</c>).
/// Validation uses it to point at the offending node after the protobuf message has been built.
/// </summary>
internal sealed class SourceMap
{
    private readonly Dictionary<string, SourcePosition> _positions = new(StringComparer.Ordinal);

    public static SourceMap Empty { get; } = new();

    public void Add(string path, SourcePosition position) => _positions[path] = position;

    /// <summary>The position of <paramref name="path"/>, or of its nearest ancestor that was written.</summary>
    public SourcePosition Find(string path)
    {
        while (true)
        {
            if (_positions.TryGetValue(path, out var position))
            {
                return position;
            }

            if (path.Length == 0)
            {
                return SourcePosition.Unknown;
            }

            path = Parent(path);
        }
    }

    /// <summary>Whether the value at <paramref name="path"/> was written in the file.</summary>
    public bool Contains(string path) => _positions.ContainsKey(path);

    private static string Parent(string path)
    {
        var cut = path.LastIndexOfAny(['.', '[']);
        return cut < 0 ? string.Empty : path[..cut];
    }
}
