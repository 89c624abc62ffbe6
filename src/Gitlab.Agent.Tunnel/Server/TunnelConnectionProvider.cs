using System.Collections.Concurrent;
using Gitlab.Agent.Tunnel.Internal;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Tunnel.Server;

internal sealed class TunnelConnectionProvider(
    TunnelRegistry registry,
    ITunnelFinder finder,
    IOptions<TunnelServerOptions> options,
    TunnelMetrics metrics,
    ILogger<TunnelConnectionProvider> logger) : ITunnelConnectionProvider
{
    private readonly ConcurrentDictionary<long, CallInvoker> _invokers = new();

    public CallInvoker GetCallInvoker(long agentId) =>
        _invokers.GetOrAdd(agentId, id => new TunnelCallInvoker(id, finder, options.Value, metrics, logger));

    public int GetIdleTunnelCount(long agentId) => registry.CountIdle(agentId);
}
