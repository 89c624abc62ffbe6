using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Kas.Tests.Infrastructure;

/// <summary>One captured log entry with its structured fields.</summary>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Fields, Exception? Exception)
{
    public string? Field(string name) => Fields.TryGetValue(name, out var v) ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : null;
}

/// <summary>Logger provider that keeps every entry in memory so tests can wait for log lines.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyCollection<LogEntry> Entries => _entries.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>Waits (up to 30 s) for an entry matching <paramref name="predicate"/>.</summary>
    public async Task<LogEntry> WaitForAsync(Func<LogEntry, bool> predicate, string description, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            if (_entries.FirstOrDefault(predicate) is { } entry)
            {
                return entry;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"no log entry {description}; got:\n" + string.Join('\n', _entries.Select(e => $"{e.Level} {e.Category}: {e.Message}")));
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state is IEnumerable<KeyValuePair<string, object?>> kv ? kv.ToDictionary(p => p.Key, p => p.Value) : [];
            owner._entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), fields, exception));
        }
    }
}
