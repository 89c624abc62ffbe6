using System.Collections.Concurrent;

namespace Gitlab.Agent.Tunnel.Server;

/// <summary>
/// Tunnels parked at this KAS, per agent id. A request takes the first idle tunnel whose descriptor lists its method,
/// or waits (first come, first served) for the next one that registers.
/// </summary>
internal sealed class TunnelRegistry : ITunnelFinder
{
    private readonly ConcurrentDictionary<long, AgentTunnels> _agents = new();

    /// <summary>Parks <paramref name="tunnel"/> or hands it straight to a waiting request.</summary>
    public void Register(ServerTunnel tunnel)
    {
        var entry = _agents.GetOrAdd(tunnel.AgentId, static _ => new AgentTunnels());
        Waiter? handedTo = null;
        lock (entry)
        {
            for (var node = entry.Waiters.First; node is not null; node = node.Next)
            {
                if (tunnel.Supports(node.Value.Service, node.Value.Method))
                {
                    entry.Waiters.Remove(node);
                    tunnel.State = ServerTunnel.Claimed;
                    node.Value.Completion.TrySetResult(tunnel);
                    handedTo = node.Value;
                    break;
                }
            }

            if (handedTo is null)
            {
                tunnel.State = ServerTunnel.Idle;
                entry.Idle.Add(tunnel);
            }
        }

        if (handedTo is not null)
        {
            tunnel.SignalClaimed();
        }
    }

    /// <summary>Removes an idle tunnel whose stream ended; false when a request claimed it first.</summary>
    public bool TryRemoveIdle(ServerTunnel tunnel)
    {
        if (!_agents.TryGetValue(tunnel.AgentId, out var entry))
        {
            return false;
        }

        lock (entry)
        {
            if (tunnel.State != ServerTunnel.Idle)
            {
                return false;
            }

            tunnel.State = ServerTunnel.Closed;
            entry.Idle.Remove(tunnel);
            return true;
        }
    }

    /// <summary>Number of idle tunnels of <paramref name="agentId"/>.</summary>
    public int CountIdle(long agentId)
    {
        if (!_agents.TryGetValue(agentId, out var entry))
        {
            return 0;
        }

        lock (entry)
        {
            return entry.Idle.Count;
        }
    }

    public bool TryClaimIdle(long agentId, string service, string method, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ITunnel? tunnel)
    {
        ServerTunnel? found = null;
        if (_agents.TryGetValue(agentId, out var entry))
        {
            lock (entry)
            {
                found = ClaimIdleLocked(entry, service, method);
            }
        }

        found?.SignalClaimed();
        tunnel = found;
        return found is not null;
    }

    public async Task<ITunnel> FindTunnelAsync(long agentId, string service, string method, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var entry = _agents.GetOrAdd(agentId, static _ => new AgentTunnels());
        ServerTunnel? found;
        Waiter? waiter = null;
        LinkedListNode<Waiter>? node = null;
        lock (entry)
        {
            found = ClaimIdleLocked(entry, service, method);
            if (found is null)
            {
                waiter = new Waiter(service, method);
                node = entry.Waiters.AddLast(waiter);
            }
        }

        if (found is not null)
        {
            found.SignalClaimed();
            return found;
        }

        using (cancellationToken.Register(() =>
        {
            lock (entry)
            {
                if (node!.List is not null)
                {
                    entry.Waiters.Remove(node);
                    waiter!.Completion.TrySetCanceled(cancellationToken);
                }
            }
        }))
        {
            return await waiter!.Completion.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Newest first: the oldest idle tunnels are the ones the agent closes when its pool shrinks.</summary>
    private static ServerTunnel? ClaimIdleLocked(AgentTunnels entry, string service, string method)
    {
        for (var i = entry.Idle.Count - 1; i >= 0; i--)
        {
            if (entry.Idle[i].Supports(service, method))
            {
                var found = entry.Idle[i];
                entry.Idle.RemoveAt(i);
                found.State = ServerTunnel.Claimed;
                return found;
            }
        }

        return null;
    }

    private sealed class AgentTunnels
    {
        public List<ServerTunnel> Idle { get; } = [];

        public LinkedList<Waiter> Waiters { get; } = new();
    }

    private sealed class Waiter(string service, string method)
    {
        public string Service { get; } = service;

        public string Method { get; } = method;

        public TaskCompletionSource<ServerTunnel> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
