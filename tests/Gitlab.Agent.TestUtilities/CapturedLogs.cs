using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.TestUtilities;

/// <summary>One captured log entry with its structured fields.</summary>
public sealed record CapturedLog(LogLevel Level, string Category, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Fields, Exception? Exception)
{
    /// <summary>When it was logged (UTC).</summary>
    public DateTime Time { get; init; } = DateTime.UtcNow;

    /// <summary>The structured field <paramref name="name"/> as invariant-culture text, or null when the entry has no such field.</summary>
    public string? Field(string name) =>
        Fields.TryGetValue(name, out var value) ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) : null;

    /// <summary>One line for diagnostics: <c>time level category[event id] message exception</c>.</summary>
    public override string ToString() =>
        $"{Time:HH:mm:ss.fff} {Level} {Category}[{EventId.Id}] {Message}{(Exception is null ? string.Empty : " " + Exception)}";
}

/// <summary>Collects the log entries that pass the host's filters and lets callers wait for one.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly Lock _lock = new();
    private readonly List<CapturedLog> _logs = [];
    private readonly List<(Func<CapturedLog, bool> Predicate, TaskCompletionSource<CapturedLog> Result)> _waiters = [];

    /// <summary>The entries so far.</summary>
    public IReadOnlyList<CapturedLog> Logs
    {
        get
        {
            lock (_lock)
            {
                return _logs.ToList();
            }
        }
    }

    /// <summary>The entries so far as diagnostic lines.</summary>
    public IReadOnlyList<string> Lines => Logs.Select(l => l.ToString()).ToList();

    /// <inheritdoc />
    public override string ToString() => string.Join('\n', Lines);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Waits (30 s by default) for an entry matching <paramref name="predicate"/>, logged before or after the call.</summary>
    public Task<CapturedLog> WaitForAsync(Func<CapturedLog, bool> predicate, TimeSpan? timeout = null) =>
        WaitForCoreAsync(predicate, "no matching log entry", timeout);

    /// <summary>
    /// Waits (30 s by default) for an entry matching <paramref name="predicate"/>, logged before or after the call;
    /// on timeout the error names <paramref name="description"/> (what was waited for).
    /// </summary>
    public Task<CapturedLog> WaitForAsync(Func<CapturedLog, bool> predicate, string description, TimeSpan? timeout = null) =>
        WaitForCoreAsync(predicate, $"no log entry: {description}", timeout);

    private async Task<CapturedLog> WaitForCoreAsync(Func<CapturedLog, bool> predicate, string failure, TimeSpan? timeout)
    {
        var tcs = new TaskCompletionSource<CapturedLog>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var existing = _logs.FirstOrDefault(predicate);
            if (existing is not null)
            {
                return existing;
            }

            _waiters.Add((predicate, tcs));
        }

        try
        {
            return await tcs.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(failure + "; logged:\n" + ToString());
        }
    }

    public int Count(Func<CapturedLog, bool> predicate)
    {
        lock (_lock)
        {
            return _logs.Count(predicate);
        }
    }

    public void Dispose()
    {
    }

    private void Add(CapturedLog log)
    {
        List<TaskCompletionSource<CapturedLog>> done = [];
        lock (_lock)
        {
            _logs.Add(log);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Predicate(log))
                {
                    done.Add(_waiters[i].Result);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var tcs in done)
        {
            tcs.TrySetResult(log);
        }
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.First().Value)
                : new Dictionary<string, object?>();
            owner.Add(new CapturedLog(logLevel, category, eventId, formatter(state, exception), fields, exception));
        }
    }
}
