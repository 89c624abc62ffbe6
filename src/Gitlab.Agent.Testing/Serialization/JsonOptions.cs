using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gitlab.Agent.Testing;

/// <summary>Serializer settings the server writes with (compact, Go-like escaping).</summary>
internal static class JsonOptions
{
    public static readonly JsonSerializerOptions Compact = new()
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static readonly JsonWriterOptions Writer = new()
    {
        Indented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };
}
