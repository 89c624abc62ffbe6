using Gitlab.Agent.Protocol.ReverseTunnel;
using Gitlab.Agent.Tunnel.Agent;
using Gitlab.Agent.Tunnel.Internal;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gitlab.Agent.Tunnel.Tests.Infrastructure;

/// <summary>An agentk tunnel pool dialing a KAS address, serving the given handlers.</summary>
internal sealed class TestAgent : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private readonly ServiceProvider _services;

    public TestAgent(Uri kasAddress, string token, IEnumerable<IAgentTunnelHandler> handlers, TunnelAgentOptions? options = null)
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _channel = AgentChannels.Create(kasAddress);
        var invoker = _channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + token);
            return m;
        });
        Manager = new TunnelConnectionManager(
            new Gitlab.Agent.Protocol.ReverseTunnel.ReverseTunnel.ReverseTunnelClient(invoker),
            handlers,
            options ?? new TunnelAgentOptions(),
            TimeProvider.System,
            new TunnelMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
            NullLogger.Instance,
            kasAddress);
        _run = Manager.RunAsync(_stop.Token);
    }

    public TunnelConnectionManager Manager { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            _channel.Dispose();
            await _services.DisposeAsync();
        }
    }
}
