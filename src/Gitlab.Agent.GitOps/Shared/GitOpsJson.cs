using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gitlab.Agent.GitOps;

/// <summary>JSON settings of the sync-state wire format and HTTP API (snake_case keys and enum values).</summary>
internal static class GitOpsJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
