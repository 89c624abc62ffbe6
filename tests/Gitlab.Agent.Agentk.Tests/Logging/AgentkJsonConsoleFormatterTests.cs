using Gitlab.Agent.Agentk.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gitlab.Agent.Agentk.Tests.Logging;

public class AgentkJsonConsoleFormatterTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    [Fact]
    public void ConfigNewCommit_has_the_seed_shape()
    {
        var output = Format(logger => AgentkLog.ConfigNewCommit(logger, 1, "2f7b0c1"));

        Assert.Equal("{\"level\":\"info\",\"time\":\"2026-01-02T03:04:05.678Z\",\"msg\":\"Config: new commit\",\"agent_id\":1,\"commit_id\":\"2f7b0c1\"}\n", output);
    }

    [Fact]
    public void Exception_message_goes_to_error_and_fields_keep_their_json_types()
    {
        var output = Format(logger => logger.LogWarning(
            new InvalidOperationException("disk \"data\" is full"),
            "Store {StorePath} at {UsedPercent}% (readonly={IsReadOnly}, owner={Owner}, count={ItemCount})",
            "/var/data",
            93.5,
            true,
            null,
            42L));

        Assert.Equal(
            "{\"level\":\"warn\",\"time\":\"2026-01-02T03:04:05.678Z\",\"msg\":\"Store /var/data at 93.5% (readonly=True, owner=(null), count=42)\"," +
            "\"error\":\"disk \\\"data\\\" is full\",\"store_path\":\"/var/data\",\"used_percent\":93.5,\"is_read_only\":true,\"owner\":null,\"item_count\":42}\n",
            output);
    }

    [Theory]
    [InlineData(LogLevel.Trace, "debug")]
    [InlineData(LogLevel.Debug, "debug")]
    [InlineData(LogLevel.Information, "info")]
    [InlineData(LogLevel.Warning, "warn")]
    [InlineData(LogLevel.Error, "error")]
    [InlineData(LogLevel.Critical, "error")]
    public void Levels_use_the_go_agent_names(LogLevel level, string expected)
    {
        var output = Format(logger => logger.Log(level, "x"));

        Assert.Equal($"{{\"level\":\"{expected}\",\"time\":\"2026-01-02T03:04:05.678Z\",\"msg\":\"x\"}}\n", output);
    }

    [Fact]
    public void Scope_fields_are_added_after_message_fields_and_do_not_override_them()
    {
        var scopes = new LoggerExternalScopeProvider();
        var output = Format(
            logger =>
            {
                using (logger.BeginScope(new[] { new KeyValuePair<string, object?>("mod_name", "gitops"), new KeyValuePair<string, object?>("AgentId", 99) }))
                {
                    logger.LogError("Sync failed for {AgentId}", 7);
                }
            },
            scopes);

        Assert.Equal("{\"level\":\"error\",\"time\":\"2026-01-02T03:04:05.678Z\",\"msg\":\"Sync failed for 7\",\"agent_id\":7,\"mod_name\":\"gitops\"}\n", output);
    }

    [Fact]
    public void A_field_that_is_the_whole_message_is_not_repeated()
    {
        var output = Format(logger => logger.LogError("{Reason}", "cannot resolve KAS host 'kas.invalid'"));

        Assert.Equal("{\"level\":\"error\",\"time\":\"2026-01-02T03:04:05.678Z\",\"msg\":\"cannot resolve KAS host 'kas.invalid'\"}\n", output);
    }

    [Theory]
    [InlineData("AgentId", "agent_id")]
    [InlineData("CommitID", "commit_id")]
    [InlineData("@KasUrl", "kas_url")]
    [InlineData("agent_id", "agent_id")]
    [InlineData("modName", "mod_name")]
    public void Field_names_are_snake_case(string key, string expected) =>
        Assert.Equal(expected, AgentkJsonConsoleFormatter.FieldName(key));

    [Fact]
    public void Every_line_is_one_json_object()
    {
        var output = Format(logger =>
        {
            logger.LogInformation("line one\nline two {Value}", "a\tb");
            logger.LogInformation("second");
        });

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        foreach (var line in lines)
        {
            using var document = System.Text.Json.JsonDocument.Parse(line);
            Assert.Equal(System.Text.Json.JsonValueKind.Object, document.RootElement.ValueKind);
        }

        Assert.Contains("\"msg\":\"line one\\nline two a\\tb\"", lines[0], StringComparison.Ordinal);
    }

    private static string Format(Action<ILogger> log, IExternalScopeProvider? scopes = null)
    {
        var formatter = new AgentkJsonConsoleFormatter(new FixedTimeProvider(Now));
        using var writer = new StringWriter();
        log(new FormattingLogger(formatter, writer, scopes));
        return writer.ToString();
    }

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class FormattingLogger(AgentkJsonConsoleFormatter formatter, TextWriter writer, IExternalScopeProvider? scopes) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> format) =>
            formatter.Write(new LogEntry<TState>(logLevel, "Test", eventId, state, exception, format), scopes, writer);
    }
}
