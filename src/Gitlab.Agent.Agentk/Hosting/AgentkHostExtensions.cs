using Gitlab.Agent.Agentk.Hosting;
using Gitlab.Agent.Agentk.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>Running an agentk host.</summary>
public static class AgentkHostExtensions
{
    /// <summary>
    /// Runs the host until it stops and returns the process exit code: 0 after a normal shutdown, 1 when an agent
    /// module died or the agentk options are invalid (the reasons are logged).
    /// </summary>
    public static async Task<int> RunAgentkAsync(this IHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        var runState = host.Services.GetRequiredService<AgentkRunState>();
        var loggerFactory = host.Services.GetRequiredService<ILoggerFactory>();
        try
        {
            await host.StartAsync(cancellationToken);
            await host.WaitForShutdownAsync(cancellationToken);
        }
        catch (OptionsValidationException e)
        {
            var logger = loggerFactory.CreateLogger("Gitlab.Agent.Agentk");
            foreach (var failure in e.Failures)
            {
                AgentkLog.InvalidOptions(logger, failure);
            }

            return 1;
        }

        return runState.ExitCode;
    }
}
