using Gitlab.Agent.Protocol.AgentCfg;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Gitlab.Agent.Agentk.Logging;

/// <summary>
/// Applies <c>observability.logging.level</c> / <c>grpc_level</c> from the agent configuration at run time: it post-configures
/// <see cref="LoggerFilterOptions"/> (default rule = level, <c>Grpc</c> category = grpc level) and signals a change so the
/// logger factory reloads its filters. Category-specific rules from the host configuration keep precedence.
/// </summary>
internal sealed class AgentkLogLevel : IPostConfigureOptions<LoggerFilterOptions>, IOptionsChangeTokenSource<LoggerFilterOptions>
{
    private readonly Lock _lock = new();
    private CancellationTokenSource _changed = new();
    private LogLevel? _level;
    private LogLevel _grpcLevel = LogLevel.Error;

    public string Name => Options.DefaultName;

    /// <summary>The level from the last configuration, or <see langword="null"/> before the first one.</summary>
    public LogLevel? Level
    {
        get
        {
            lock (_lock)
            {
                return _level;
            }
        }
    }

    public LogLevel GrpcLevel
    {
        get
        {
            lock (_lock)
            {
                return _grpcLevel;
            }
        }
    }

    public IChangeToken GetChangeToken()
    {
        lock (_lock)
        {
            return new CancellationChangeToken(_changed.Token);
        }
    }

    /// <summary>Applies the levels; returns <see langword="false"/> when they were already in force.</summary>
    public bool Set(LogLevel level, LogLevel grpcLevel)
    {
        CancellationTokenSource previous;
        lock (_lock)
        {
            if (_level == level && _grpcLevel == grpcLevel)
            {
                return false;
            }

            _level = level;
            _grpcLevel = grpcLevel;
            previous = _changed;
            _changed = new CancellationTokenSource();
        }

        previous.Cancel();
        previous.Dispose();
        return true;
    }

    public void PostConfigure(string? name, LoggerFilterOptions options)
    {
        LogLevel level;
        LogLevel grpcLevel;
        lock (_lock)
        {
            if (_level is not { } current)
            {
                return;
            }

            (level, grpcLevel) = (current, _grpcLevel);
        }

        options.MinLevel = level;
        options.Rules.Add(new LoggerFilterRule(null, null, level, null));
        options.Rules.Add(new LoggerFilterRule(null, "Grpc", grpcLevel, null));
    }

    /// <summary>Maps the agent configuration's level names to .NET levels.</summary>
    public static LogLevel Map(log_level_enum level) => level switch
    {
        log_level_enum.Debug => LogLevel.Debug,
        log_level_enum.Warn => LogLevel.Warning,
        log_level_enum.Error => LogLevel.Error,
        _ => LogLevel.Information,
    };
}
