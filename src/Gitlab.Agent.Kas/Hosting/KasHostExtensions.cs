using Gitlab.Agent.Kas.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.Extensions.Hosting;

/// <summary>Running a KAS host.</summary>
public static class KasHostExtensions
{
    /// <summary>
    /// Runs the host until it stops (like <c>RunAsync</c>, it is disposed afterwards) and returns the process exit code:
    /// 0 after a normal shutdown, 1 when a background loop (a <see cref="BackgroundService"/>, e.g. the repository poller
    /// or a feature's loop) failed and stopped the host. Cancelling <paramref name="cancellationToken"/> stops the host.
    /// </summary>
    public static async Task<int> RunKasAsync(this IHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        try
        {
            await host.StartAsync(cancellationToken);
            await host.WaitForShutdownAsync(cancellationToken);
            return ExitCode(host);
        }
        finally
        {
            if (host is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else
            {
                host.Dispose();
            }
        }
    }

    private static int ExitCode(IHost host)
    {
        var logger = host.Services.GetService<ILoggerFactory>()?.CreateLogger("Gitlab.Agent.Kas") ?? NullLogger.Instance;
        var exitCode = 0;
        foreach (var service in host.Services.GetServices<IHostedService>().OfType<BackgroundService>())
        {
            if (service.ExecuteTask is { IsFaulted: true } task)
            {
                var exception = task.Exception.GetBaseException();
                var name = service.GetType().Name;
                KasLog.CoreLoopFailed(logger, exception, name);
                exitCode = 1;
            }
        }

        return exitCode;
    }
}
