using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Agentk.Kubernetes;
using Gitlab.Agent.Agentk.Logging;
using Gitlab.Agent.Agentk.Observability;
using Gitlab.Agent.Protocol.AgentConfiguration;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Agentk.Configuration;

/// <summary>
/// Keeps one <c>GetConfiguration</c> stream open to KAS for the life of agentk and publishes every configuration to
/// <see cref="AgentConfigurationHub"/>. A normal end of the stream (KAS's max connection age) reconnects at once with the
/// last commit id; failures are logged with their cause and retried with exponential backoff and jitter; a rejected token
/// is retried at the slowest pace. It never stops agentk.
/// </summary>
internal sealed class ConfigurationWatcher(
    IKasConnection connection,
    AgentConfigurationHub hub,
    AgentInfo agentInfo,
    AgentkLogLevel logLevel,
    KubernetesVersionProbe kubernetesVersion,
    AgentkMetrics metrics,
    IOptions<KasRetryOptions> retryOptions,
    TimeProvider timeProvider,
    ILogger<ConfigurationWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        AgentkLog.Starting(logger, Hosting.AgentkVersion.Version, Hosting.AgentkVersion.Commit, connection.Address);
        var options = retryOptions.Value;
        var backoff = new RetryBackoff(options);
        var commitId = string.Empty;
        AgentConfiguration.AgentConfigurationClient? client = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            await kubernetesVersion.TryProbeAsync(stoppingToken);
            var started = timeProvider.GetTimestamp();
            var received = false;
            var skipRegister = !agentInfo.RegistrarUnavailable;
            TimeSpan delay;
            try
            {
                client ??= new AgentConfiguration.AgentConfigurationClient(connection.CallInvoker);
                AgentkLog.ConfigConnecting(logger, commitId);

                // If KAS turns out not to implement AgentRegistrar, reopen the stream without skip_register.
                using var callCancellation = CancellationTokenSource.CreateLinkedTokenSource(
                    stoppingToken, skipRegister ? agentInfo.RegistrarUnavailableToken : CancellationToken.None);
                using var call = client.GetConfiguration(
                    new ConfigurationRequest { CommitId = commitId, AgentMeta = agentInfo.Meta, SkipRegister = skipRegister },
                    cancellationToken: callCancellation.Token);
                metrics.SetConnected(true);
                await foreach (var response in call.ResponseStream.ReadAllAsync(callCancellation.Token))
                {
                    received = true;
                    backoff.Reset();
                    commitId = response.CommitId;
                    Apply(response);
                }

                metrics.SetConnected(false);
                AgentkLog.ConfigStreamEnded(logger, commitId);
                if (received || timeProvider.GetElapsedTime(started) >= options.MinimumStreamDuration)
                {
                    continue;
                }

                // KAS closed an empty stream at once: do not spin.
                delay = backoff.NextDelay();
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception) when (skipRegister && agentInfo.RegistrarUnavailable)
            {
                metrics.SetConnected(false);
                continue;
            }
            catch (Exception e)
            {
                metrics.SetConnected(false);
                metrics.CountConnectionFailure();
                if (timeProvider.GetElapsedTime(started) >= options.HealthyPeriod)
                {
                    backoff.Reset();
                }

                var error = KasErrorDescriber.Describe(e, connection.Address, (connection as KasConnection)?.LastTlsFailure, nothingReceived: !received);
                switch (error.Kind)
                {
                    case KasErrorKind.Unauthenticated:
                        delay = backoff.SlowDelay();
                        AgentkLog.KasUnauthenticated(logger, error.Message, delay.TotalSeconds);
                        break;
                    case KasErrorKind.ConfigurationRejected:
                        delay = backoff.NextDelay();
                        AgentkLog.ConfigRejected(logger, ((RpcException)e).Status.Detail, commitId, delay.TotalSeconds);
                        break;
                    default:
                        delay = backoff.NextDelay();
                        AgentkLog.KasCallFailed(logger, error.Message, delay.TotalSeconds, e);
                        break;
                }
            }

            try
            {
                await Task.Delay(delay, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Apply(ConfigurationResponse response)
    {
        var configuration = response.Configuration ?? new Protocol.AgentCfg.AgentConfiguration();
        agentInfo.Update(configuration);
        ApplyLogLevel(configuration);
        hub.Publish(configuration);
        metrics.CountConfiguration();
        AgentkLog.ConfigNewCommit(logger, configuration.AgentId, response.CommitId);
    }

    private void ApplyLogLevel(Protocol.AgentCfg.AgentConfiguration configuration)
    {
        var logging = configuration.Observability?.Logging;
        var level = AgentkLogLevel.Map(logging?.Level ?? Protocol.AgentCfg.log_level_enum.Info);
        var grpcLevel = logging is { HasGrpcLevel: true } ? AgentkLogLevel.Map(logging.GrpcLevel) : LogLevel.Error;
        if (logLevel.Level == level && logLevel.GrpcLevel == grpcLevel)
        {
            return;
        }

        // Log while the message is still visible: after lowering the level, before raising it.
        var levelName = AgentkJsonConsoleFormatter.LevelName(level);
        var grpcLevelName = AgentkJsonConsoleFormatter.LevelName(grpcLevel);
        if (level <= LogLevel.Information)
        {
            logLevel.Set(level, grpcLevel);
            AgentkLog.LogLevelChanged(logger, levelName, grpcLevelName);
        }
        else
        {
            AgentkLog.LogLevelChanged(logger, levelName, grpcLevelName);
            logLevel.Set(level, grpcLevel);
        }
    }
}
