using Gitlab.Agent.Agentk.Configuration;
using Gitlab.Agent.Agentk.Hosting;
using Gitlab.Agent.Agentk.Logging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Agentk.Modules;

/// <summary>
/// Runs every registered <see cref="IAgentModule"/> for the life of agentk, each with its own latest-wins view of the
/// configuration. A module that throws or returns early stops agentk with exit code 1.
/// </summary>
internal sealed class AgentModuleRunner(
    IEnumerable<IAgentModule> modules,
    AgentConfigurationHub hub,
    AgentkRunState runState,
    IHostApplicationLifetime lifetime,
    ILogger<AgentModuleRunner> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(modules.Select(m => RunModuleAsync(m, stoppingToken)));

    private async Task RunModuleAsync(IAgentModule module, CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var scope = logger.BeginScope(new[] { new KeyValuePair<string, object?>("mod_name", module.Name) });
        try
        {
            AgentkLog.ModuleStarting(logger, module.Name);
            await module.RunAsync(hub.SubscribeAsync(stoppingToken), stoppingToken);
            if (!stoppingToken.IsCancellationRequested)
            {
                AgentkLog.ModuleReturned(logger, module.Name);
                runState.Fail($"module {module.Name} returned");
                lifetime.StopApplication();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            AgentkLog.ModuleFailed(logger, module.Name, e);
            runState.Fail($"module {module.Name} failed: {e.Message}");
            lifetime.StopApplication();
        }
    }
}
