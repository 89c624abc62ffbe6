using System.Text.Json.Nodes;

namespace Gitlab.Agent.GitOps.Agent;

/// <summary>A desired object decoded from a manifest file.</summary>
/// <param name="Object">The object as unstructured JSON.</param>
/// <param name="Source">Repository path of the file it came from.</param>
/// <param name="Line">1-based line of the document (or list item) in <paramref name="Source"/>.</param>
internal sealed record ManifestObject(JsonObject Object, string Source, int Line)
{
    public string ApiVersion => Object["apiVersion"]?.GetValue<string>() ?? "";

    public string Kind => Object["kind"]?.GetValue<string>() ?? "";

    public string Group => ApiGroup(ApiVersion);

    public string Name => (Object["metadata"] as JsonObject)?["name"]?.GetValue<string>() ?? "";

    public string Namespace => (Object["metadata"] as JsonObject)?["namespace"] is JsonValue v && v.TryGetValue<string>(out var ns) ? ns : "";

    public ObjectId Id => new(Group, Kind, Namespace, Name);

    public string Location => $"{Source}:{Line}";

    public static string ApiGroup(string apiVersion)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? "" : apiVersion[..slash];
    }

    public static string ApiVersionOnly(string apiVersion)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
    }
}

/// <summary>A manifest that could not be decoded.</summary>
internal sealed record ManifestError(string Source, int Line, string Message)
{
    public override string ToString() => $"{Source}:{Line}: {Message}";
}
