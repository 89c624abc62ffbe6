using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Testing.Tests.Infrastructure;

/// <summary>Collects server log entries so tests can show (or assert on) unexpected errors.</summary>
public sealed class RecordingLoggerFactory : ILoggerFactory, ILoggerProvider
{
    private readonly List<string> _entries = [];

    public IReadOnlyList<string> Entries
    {
        get
        {
            lock (_entries)
            {
                return _entries.ToList();
            }
        }
    }

    public IReadOnlyList<string> Errors => Entries.Where(e => e.StartsWith("Error", StringComparison.Ordinal) || e.StartsWith("Critical", StringComparison.Ordinal)).ToList();

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            lock (owner._entries)
            {
                owner._entries.Add($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            }
        }
    }
}
