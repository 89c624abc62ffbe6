using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Agentk.Modules;
using Gitlab.Agent.Cilium.Alerts;
using Gitlab.Agent.Protocol.AgentCfg;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Cilium.Agent;

/// <summary>
/// The <c>cilium_alert</c> agent module. While the agent configuration has a <c>cilium</c> section it keeps the
/// CiliumNetworkPolicy cache up to date and follows Hubble Relay; matched drops are aggregated, rate limited and sent to
/// KAS. The follower is restarted when the section changes and stopped when it disappears; queued alerts survive both.
/// </summary>
internal sealed class CiliumAlertModule : IAgentModule
{
    private readonly ICiliumPolicyCache _policies;
    private readonly IGitlabAccessClient _gitlab;
    private readonly CiliumAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly CiliumAlertStats _stats;
    private readonly AlertLossCounter _losses;
    private readonly ILogger _logger;

    public CiliumAlertModule(
        ICiliumPolicyCache policies,
        IGitlabAccessClient gitlab,
        IOptions<CiliumAgentOptions> options,
        TimeProvider time,
        CiliumAlertStats stats,
        AlertLossCounter losses,
        ILogger<CiliumAlertModule> logger)
    {
        _policies = policies;
        _gitlab = gitlab;
        _options = options.Value;
        _time = time;
        _stats = stats;
        _losses = losses;
        _logger = logger;
    }

    public string Name => AlertPayload.ModuleName;

    /// <summary>The running pipeline (for tests); <see langword="null"/> before <see cref="RunAsync"/> started.</summary>
    internal CiliumAlertPipeline? Pipeline { get; private set; }

    internal AlertDeliveryQueue? Delivery { get; private set; }

    public async Task RunAsync(IAsyncEnumerable<AgentConfiguration> configurations, CancellationToken cancellationToken)
    {
        var delivery = new AlertDeliveryQueue(_gitlab, _options, _time, _losses, _stats, _logger);
        var pipeline = new CiliumAlertPipeline(_policies, new AlertAggregator(_options, _time, _losses), delivery, _stats, _options, _time, _logger);
        Delivery = delivery;
        Pipeline = pipeline;
        using var background = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var deliveryTask = delivery.RunAsync(background.Token);
        var flushTask = pipeline.RunFlushLoopAsync(background.Token);
        Session? session = null;
        CiliumCF? current = null;
        try
        {
            await foreach (var configuration in configurations.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                pipeline.ProjectId = configuration.ProjectId;
                var desired = string.IsNullOrWhiteSpace(configuration.Cilium?.HubbleRelayAddress) ? null : configuration.Cilium;
                if (Equals(desired, current))
                {
                    continue;
                }

                if (session is not null)
                {
                    await session.StopAsync().ConfigureAwait(false);
                    session = null;
                }

                current = desired?.Clone();
                if (desired is null)
                {
                    CiliumAgentLog.CiliumStopped(_logger);
                    continue;
                }

                if (!HubbleAddress.TryParse(desired.HubbleRelayAddress, out var address, out var error))
                {
                    CiliumAgentLog.InvalidHubbleAddress(_logger, desired.HubbleRelayAddress, error);
                    continue;
                }

                CiliumAgentLog.CiliumStarted(_logger, address);
                session = Session.Start(this, pipeline, address, cancellationToken);
            }

            // The configuration stream ended: keep the current state until agentk stops.
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (session is not null)
            {
                await session.StopAsync().ConfigureAwait(false);
            }

            await background.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(deliveryTask, flushTask).ConfigureAwait(false);
        }
    }

    /// <summary>One configured Hubble address: the policy cache and the follower.</summary>
    private sealed class Session
    {
        private readonly CancellationTokenSource _cancellation;
        private readonly Task _task;

        private Session(CancellationTokenSource cancellation, Task task)
        {
            _cancellation = cancellation;
            _task = task;
        }

        public static Session Start(CiliumAlertModule module, CiliumAlertPipeline pipeline, Uri address, CancellationToken cancellationToken)
        {
            var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var token = cancellation.Token;
            var follower = new HubbleFlowFollower(address, module._options, module._time, module._stats, module._logger, (flow, time) => pipeline.Process(flow, time));
            var cacheTask = module._policies.RunAsync(token);
            var followTask = FollowAsync(module._policies, follower, token);
            return new Session(cancellation, Task.WhenAll(cacheTask, followTask));
        }

        public async Task StopAsync()
        {
            await _cancellation.CancelAsync().ConfigureAwait(false);
            try
            {
                await _task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                _cancellation.Dispose();
            }
        }

        private static async Task FollowAsync(ICiliumPolicyCache policies, HubbleFlowFollower follower, CancellationToken cancellationToken)
        {
            try
            {
                await policies.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await follower.RunAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
