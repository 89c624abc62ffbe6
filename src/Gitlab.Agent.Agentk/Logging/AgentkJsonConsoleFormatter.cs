using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Gitlab.Agent.Agentk.Logging;

/// <summary>
/// Writes one JSON object per line in the shape of the Go agent's logs:
/// <c>{"level":"info","time":"2026-01-02T03:04:05.678Z","msg":"Config: new commit","agent_id":1,"commit_id":"abc"}</c>.
/// Keys: <c>level</c> (debug/info/warn/error), <c>time</c> (RFC 3339, UTC, milliseconds), <c>msg</c>, <c>error</c> (the
/// exception message, when there is one), then every structured field of the message and of the active scopes with
/// snake_case names (a field whose value is the whole message is left out). Numbers and booleans stay JSON numbers and booleans.
/// </summary>
internal sealed class AgentkJsonConsoleFormatter(TimeProvider timeProvider) : ConsoleFormatter(FormatterName)
{
    /// <summary>Name to select this formatter with <c>ConsoleLoggerOptions.FormatterName</c>.</summary>
    public const string FormatterName = "agentk-json";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = true,
    };

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("level", LevelName(logEntry.LogLevel));
            writer.WriteString("time", timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteString("msg", message ?? string.Empty);
            var written = new HashSet<string>(StringComparer.Ordinal) { "level", "time", "msg" };
            if (logEntry.Exception is { } exception)
            {
                writer.WriteString("error", exception.Message);
                written.Add("error");
            }

            if (logEntry.State is IEnumerable<KeyValuePair<string, object?>> fields)
            {
                WriteFields(writer, fields, written, message);
            }

            scopeProvider?.ForEachScope(
                static (scope, state) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> scopeFields)
                    {
                        WriteFields(state.Writer, scopeFields, state.Written, message: null);
                    }
                },
                (Writer: writer, Written: written));
            writer.WriteEndObject();
        }

        textWriter.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        textWriter.Write('\n');
    }

    /// <summary>Maps .NET log levels to the Go agent's names.</summary>
    internal static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        _ => "error",
    };

    /// <summary><c>AgentId</c> → <c>agent_id</c>, <c>@KasUrl</c> → <c>kas_url</c>.</summary>
    internal static string FieldName(string key) => JsonNamingPolicy.SnakeCaseLower.ConvertName(key.TrimStart('@', '$'));

    private static void WriteFields(Utf8JsonWriter writer, IEnumerable<KeyValuePair<string, object?>> fields, HashSet<string> written, string? message)
    {
        foreach (var (key, value) in fields)
        {
            // A field that is the whole message (template "{Reason}") would only repeat msg.
            if (key == "{OriginalFormat}" || string.IsNullOrEmpty(key) || (value is string text && text == message))
            {
                continue;
            }

            var name = FieldName(key);
            if (written.Add(name))
            {
                writer.WritePropertyName(name);
                WriteValue(writer, value, depth: 0);
            }
        }
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value, int depth)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case byte or sbyte or short or ushort or int or long:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case uint or ulong:
                writer.WriteNumberValue(Convert.ToUInt64(value, CultureInfo.InvariantCulture));
                break;
            case float or double:
                var d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsFinite(d))
                {
                    writer.WriteNumberValue(d);
                }
                else
                {
                    writer.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                }

                break;
            case decimal m:
                writer.WriteNumberValue(m);
                break;
            case DateTimeOffset dto:
                writer.WriteStringValue(dto.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                break;
            case DateTime dt:
                writer.WriteStringValue(dt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                break;
            case Exception e:
                writer.WriteStringValue(e.Message);
                break;
            case IEnumerable sequence when depth == 0 && value is not IFormattable:
                writer.WriteStartArray();
                foreach (var item in sequence)
                {
                    WriteValue(writer, item, depth + 1);
                }

                writer.WriteEndArray();
                break;
            case IFormattable f:
                writer.WriteStringValue(f.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                writer.WriteStringValue(value.ToString());
                break;
        }
    }
}
