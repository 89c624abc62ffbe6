using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Agentk.Modules;
using Gitlab.Agent.Protocol.AgentCfg;
using Gitlab.Agent.Tunnel.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Tunnel.Agent;

/// <summary>
/// agentk module that keeps the tunnel pool to KAS open for the life of the agent, exposing the Kubernetes API
/// (<c>KubernetesApi/MakeRequest</c>) to KAS. Configuration changes do not affect it: who may use the tunnel is
/// decided by KAS from <c>ci_access</c>/<c>user_access</c>.
/// </summary>
internal sealed class ReverseTunnelAgentModule(
    IKasConnection kas,
    IEnumerable<IAgentTunnelHandler> handlers,
    IOptions<TunnelAgentOptions> options,
    TimeProvider timeProvider,
    TunnelMetrics metrics,
    ILogger<ReverseTunnelAgentModule> logger) : IAgentModule
{
    public string Name => "reverse_tunnel";

    public async Task RunAsync(IAsyncEnumerable<AgentConfiguration> configurations, CancellationToken cancellationToken)
    {
        var manager = new TunnelConnectionManager(
            new Protocol.ReverseTunnel.ReverseTunnel.ReverseTunnelClient(kas.CallInvoker),
            handlers,
            options.Value,
            timeProvider,
            metrics,
            logger,
            kas.Address);
        var pool = manager.RunAsync(cancellationToken);
        try
        {
            await foreach (var _ in configurations.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                // Nothing to reconfigure.
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await pool.ConfigureAwait(false);
    }
}
