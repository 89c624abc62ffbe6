using Gitlab.Agent.Protocol.Cilium.Flow;
using Gitlab.Agent.Protocol.Cilium.Observer;
using Gitlab.Agent.Protocol.Cilium.Relay;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Cilium.Agent;

/// <summary>
/// Follows <c>observer.Observer/GetFlows</c> on Hubble Relay: DROPPED policy-verdict and L7 flows from "now", resuming
/// after a reconnect from the newest flow received and skipping flows already processed. A normal end of stream is a
/// reconnect; failures back off exponentially (<see cref="CiliumAgentOptions.ReconnectInitialDelay"/> up to
/// <see cref="CiliumAgentOptions.ReconnectMaxDelay"/>), and a stream that delivered flows resets the backoff.
/// </summary>
internal sealed class HubbleFlowFollower
{
    private readonly Uri _address;
    private readonly CiliumAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly CiliumAlertStats _stats;
    private readonly ILogger _logger;
    private readonly Action<Flow, Timestamp?> _onFlow;
    private readonly FlowResumeState _resume;

    public HubbleFlowFollower(Uri address, CiliumAgentOptions options, TimeProvider time, CiliumAlertStats stats, ILogger logger, Action<Flow, Timestamp?> onFlow)
    {
        _address = address;
        _options = options;
        _time = time;
        _stats = stats;
        _logger = logger;
        _onFlow = onFlow;
        _resume = new FlowResumeState(options.ResumeDeduplicationCapacity);
    }

    /// <summary>The request sent to Relay: follow from <paramref name="since"/>, DROPPED policy-verdict (5) and L7 (129) flows.</summary>
    public static GetFlowsRequest CreateRequest(Timestamp since) => new()
    {
        Follow = true,
        Since = since,
        Whitelist =
        {
            new FlowFilter
            {
                Verdict = { Verdict.Dropped },
                EventType =
                {
                    new EventTypeFilter { Type = Policies.FlowPolicyMatcher.EventTypePolicyVerdict },
                    new EventTypeFilter { Type = Policies.FlowPolicyMatcher.EventTypeAccessLog },
                },
            },
        },
    };

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(_address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectTimeout = TimeSpan.FromSeconds(10),
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                EnableMultipleHttp2Connections = true,
            },
            DisposeHttpClient = true,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
        var client = new Observer.ObserverClient(channel);
        var start = Timestamp.FromDateTimeOffset(_time.GetUtcNow());
        var delay = _options.ReconnectInitialDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            var since = _resume.LastTime ?? start;
            var receivedFlows = false;
            string? failure = null;
            var code = StatusCode.OK;
            try
            {
                CiliumAgentLog.HubbleConnecting(_logger, _address, since);
                using var call = client.GetFlows(CreateRequest(since), cancellationToken: cancellationToken);
                _stats.StreamOpened();
                while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    receivedFlows |= Handle(call.ResponseStream.Current, since);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e)
            {
                (code, failure) = (e.StatusCode, e.Status.Detail);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                (code, failure) = (StatusCode.Unknown, e.Message);
            }

            if (receivedFlows)
            {
                delay = _options.ReconnectInitialDelay;
            }

            var wait = delay + TimeSpan.FromTicks((long)(delay.Ticks * _options.ReconnectJitter * Random.Shared.NextDouble()));
            if (failure is null)
            {
                CiliumAgentLog.HubbleStreamEnded(_logger, _address, wait);
            }
            else
            {
                CiliumAgentLog.HubbleStreamFailed(_logger, _address, code, failure, wait);
            }

            try
            {
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
        }
    }

    /// <summary>Handles one response; returns whether it was a new flow.</summary>
    private bool Handle(GetFlowsResponse response, Timestamp since)
    {
        switch (response.ResponseTypesCase)
        {
            case GetFlowsResponse.ResponseTypesOneofCase.Flow:
                var flow = response.Flow;
                var time = flow.Time ?? response.Time;
                _stats.FlowReceived();
                if (!_resume.TryAccept(flow, time, since))
                {
                    _stats.DuplicateFlow();
                    return false;
                }

                try
                {
                    _onFlow(flow, time);
                }
                catch (Exception e)
                {
                    CiliumAgentLog.FlowProcessingFailed(_logger, e);
                }

                return true;
            case GetFlowsResponse.ResponseTypesOneofCase.NodeStatus:
                var status = response.NodeStatus;
                var nodes = string.Join(", ", status.NodeNames);
                switch (status.StateChange)
                {
                    case NodeState.NodeConnected:
                        CiliumAgentLog.HubbleNodeConnected(_logger, nodes);
                        break;
                    case NodeState.NodeError:
                        _stats.NodeError();
                        CiliumAgentLog.HubbleNodeError(_logger, nodes, status.Message);
                        break;
                    case NodeState.NodeUnavailable:
                    case NodeState.NodeGone:
                        CiliumAgentLog.HubbleNodeUnavailable(_logger, nodes, status.StateChange.ToString());
                        break;
                }

                return false;
            case GetFlowsResponse.ResponseTypesOneofCase.LostEvents:
                var lost = response.LostEvents;
                _stats.Lost(lost.NumEventsLost);
                CiliumAgentLog.HubbleLostEvents(_logger, lost.NumEventsLost, lost.Source.ToString(), response.NodeName);
                return false;
            default:
                return false;
        }
    }
}
