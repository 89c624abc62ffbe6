using Gitlab.Agent.Agentk.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;

namespace Microsoft.Extensions.Logging;

/// <summary>Logging registrations of the agentk runtime.</summary>
public static class AgentkLoggingBuilderExtensions
{
    /// <summary>
    /// Logs to the console as one JSON object per line, in the Go agent's shape
    /// (<c>{"level":"info","time":"…Z","msg":"…","agent_id":1}</c>); see docs/agentk.md.
    /// </summary>
    public static ILoggingBuilder AddAgentkJsonConsole(this ILoggingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddConsole(o => o.FormatterName = AgentkJsonConsoleFormatter.FormatterName);
        builder.AddConsoleFormatter<AgentkJsonConsoleFormatter, ConsoleFormatterOptions>();
        return builder;
    }
}
