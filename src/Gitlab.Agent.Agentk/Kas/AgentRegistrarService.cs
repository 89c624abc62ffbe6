using Gitlab.Agent.Agentk.Configuration;
using Gitlab.Agent.Agentk.Logging;
using Gitlab.Agent.Protocol.AgentRegistrar;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Agentk.Kas;

/// <summary>
/// Calls <c>AgentRegistrar/Register</c> with a random pod id at start and every 5 minutes. Failures back off from 10 s to
/// 5 min and are logged as warnings only once a configuration arrived (before that the configuration watcher already
/// reports why KAS is unreachable). A KAS without the service (Unimplemented) is left alone and GetConfiguration
/// registers the connection instead.
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
            var client = new AgentRegistrar.AgentRegistrarClient(connection.CallInvoker);
            var backoff = new RetryBackoff(new KasRetryOptions { InitialDelay = TimeSpan.FromSeconds(10), MaxDelay = Period });
            while (!stoppingToken.IsCancellationRequested)
            {
                TimeSpan delay;
                try
                {
                    await client.RegisterAsync(new RegisterRequest { AgentMeta = agentInfo.Meta, PodId = PodId }, cancellationToken: stoppingToken);
                    AgentkLog.Registered(logger, PodId);
                    backoff.Reset();
                    delay = Period;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
                {
                    agentInfo.MarkRegistrarUnavailable();
                    AgentkLog.RegisterUnimplemented(logger);
                    return;
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    delay = backoff.NextDelay();
                    var reason = KasErrorDescriber.Describe(e, connection.Address).Message;
                    if (hub.Current is null)
                    {
                        AgentkLog.RegisterFailedBeforeConnected(logger, reason, delay.TotalSeconds);
                    }
                    else
                    {
                        AgentkLog.RegisterFailed(logger, reason, delay.TotalSeconds);
                    }
                }

                await Task.Delay(delay, timeProvider, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
