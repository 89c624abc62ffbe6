using System.Text;
using System.Threading.Channels;
using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Cilium.Alerts;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Cilium.Agent;

/// <summary>
/// A bounded queue of alerts sent one at a time through <see cref="IGitlabAccessClient"/> (module <c>cilium_alert</c>,
/// <c>POST /</c>). While KAS is unreachable or answers 408/429/5xx the head alert is retried with exponential backoff,
/// so nothing is lost until the queue is full; alerts that do not fit are dropped, counted, logged and reported with
/// the next delivered alert. Alerts KAS rejects (other 4xx) are logged and dropped.
/// </summary>
internal sealed class AlertDeliveryQueue
{
    private static readonly Dictionary<string, string> JsonHeaders = new(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = "application/json" };

    private readonly Channel<AlertToSend> _channel;
    private readonly IGitlabAccessClient _client;
    private readonly CiliumAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly AlertLossCounter _losses;
    private readonly CiliumAlertStats _stats;
    private readonly ILogger _logger;
    private int _count;

    public AlertDeliveryQueue(IGitlabAccessClient client, CiliumAgentOptions options, TimeProvider time, AlertLossCounter losses, CiliumAlertStats stats, ILogger logger)
    {
        _client = client;
        _options = options;
        _time = time;
        _losses = losses;
        _stats = stats;
        _logger = logger;
        _channel = Channel.CreateBounded<AlertToSend>(
            new BoundedChannelOptions(options.DeliveryQueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            OnDropped);
    }

    /// <summary>Alerts waiting for delivery, including the one being sent.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Queues <paramref name="alert"/>; when the queue is full the alert is dropped and counted.</summary>
    public void Enqueue(AlertToSend alert)
    {
        Interlocked.Increment(ref _count);
        if (_channel.Writer.TryWrite(alert))
        {
            _stats.AlertQueued();
        }
    }

    /// <summary>Delivers queued alerts until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var alert in _channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await DeliverAsync(alert, cancellationToken).ConfigureAwait(false);
                Interlocked.Decrement(ref _count);
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: an alert being sent may surface as OperationCanceledException or RpcException(Cancelled).
        }
    }

    private async Task DeliverAsync(AlertToSend alert, CancellationToken cancellationToken)
    {
        var delay = _options.DeliveryRetryInitialDelay;
        while (true)
        {
            var droppedAlerts = _losses.Alerts;
            var droppedFlows = _losses.Flows;
            var body = AlertPayload.Write(alert, droppedAlerts, droppedFlows);
            string failure;
            try
            {
                using var timeout = new CancellationTokenSource(_options.DeliveryTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
                GitlabAccessResponse response;
                try
                {
                    response = await _client.SendAsync(AlertPayload.ModuleName, "POST", "/", body, JsonHeaders, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"no answer within {_options.DeliveryTimeout}");
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"no answer within {_options.DeliveryTimeout}");
                }

                if (response.StatusCode is >= 200 and < 300)
                {
                    _stats.AlertDelivered();
                    CiliumAgentLog.AlertDelivered(_logger, alert.Fingerprint, alert.Policy, alert.Count);
                    if (droppedAlerts != 0 || droppedFlows != 0)
                    {
                        _losses.Reported(droppedAlerts, droppedFlows);
                        CiliumAgentLog.LostAlertsReported(_logger, droppedAlerts, droppedFlows);
                    }

                    return;
                }

                if (response.StatusCode is not (408 or 429 or >= 500))
                {
                    _stats.AlertRejected();
                    if (_logger.IsEnabled(LogLevel.Error))
                    {
                        CiliumAgentLog.AlertRejected(_logger, alert.Fingerprint, response.StatusCode, Excerpt(response.Body));
                    }

                    return;
                }

                failure = $"HTTP {response.StatusCode}";
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                failure = $"{e.StatusCode}: {e.Status.Detail}";
            }
            catch (TimeoutException e)
            {
                failure = e.Message;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // Protocol errors from the KAS connection: treat like an outage and retry.
                failure = e.Message;
            }

            _stats.DeliveryFailed();
            CiliumAgentLog.AlertDeliveryFailed(_logger, failure, Count, delay);
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.DeliveryRetryMaxDelay.Ticks));
        }
    }

    private void OnDropped(AlertToSend alert)
    {
        Interlocked.Decrement(ref _count);
        _losses.Add(1, alert.Count);
        CiliumAgentLog.AlertQueueFull(_logger, _options.DeliveryQueueCapacity, alert.Policy, alert.Count, _losses.Alerts, _losses.Flows);
    }

    private static string Excerpt(ReadOnlyMemory<byte> body)
    {
        var text = Encoding.UTF8.GetString(body.Span[..Math.Min(body.Length, 512)]);
        return text.ReplaceLineEndings(" ");
    }
}
