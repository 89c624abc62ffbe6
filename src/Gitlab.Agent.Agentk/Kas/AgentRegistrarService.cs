using Gitlab.Agent.Agentk.Configuration;
using Gitlab.Agent.Agentk.Logging;
using Gitlab.Agent.Protocol.AgentRegistrar;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Agentk.Kas;

/// <summary>
/// Calls <c>AgentRegistrar/Register</c> with a random pod id every 5 minutes once KAS has sent a configuration
/// (so a KAS that is down or a rejected token is reported once, by the configuration watcher). Failures back off from
/// 10 s to 5 min; a KAS without the service (Unimplemented) is left alone and registration falls back to GetConfiguration.
/// </summary>
internal sealed class AgentRegistrarService(
    IKasConnection connection,
    AgentInfo agentInfo,
    AgentConfigurationHub hub,
    TimeProvider timeProvider,
    ILogger<AgentRegistrarService> logger) : BackgroundService
{
    internal static readonly TimeSpan Period = TimeSpan.FromMinutes(5);

    internal long PodId { get; } = Random.Shared.NextInt64(1, long.MaxValue);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var _ in hub.SubscribeAsync(stoppingToken))
            {
                break;
            }

            var client = new AgentRegistrar.AgentRegistrarClient(connection.CallInvoker);
            var backoff = new RetryBackoff(new KasRetryOptions { InitialDelay = TimeSpan.FromSeconds(10), MaxDelay = Period });
            while (!stoppingToken.IsCancellationRequested)
            {
                TimeSpan delay;
                try
                {
                    await client.RegisterAsync(new RegisterRequest { AgentMeta = agentInfo.Meta, PodId = PodId }, cancellationToken: stoppingToken);
                    agentInfo.RegisteredWithRegistrar = true;
                    AgentkLog.Registered(logger, PodId);
                    backoff.Reset();
                    delay = Period;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
                {
                    AgentkLog.RegisterUnimplemented(logger);
                    return;
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    delay = backoff.NextDelay();
                    AgentkLog.RegisterFailed(logger, KasErrorDescriber.Describe(e, connection.Address).Message, delay.TotalSeconds);
                }

                await Task.Delay(delay, timeProvider, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
