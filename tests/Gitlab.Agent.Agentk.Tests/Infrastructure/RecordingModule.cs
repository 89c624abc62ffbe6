using System.Threading.Channels;
using Gitlab.Agent.Agentk.Modules;
using Gitlab.Agent.Protocol.AgentCfg;

namespace Gitlab.Agent.Agentk.Tests.Infrastructure;

/// <summary>An agent module that records every configuration it is given.</summary>
public sealed class RecordingModule(string name = "recorder") : IAgentModule
{
    public string Name { get; } = name;

    public Channel<AgentConfiguration> Received { get; } = Channel.CreateUnbounded<AgentConfiguration>();

    public Func<AgentConfiguration, Task>? OnConfiguration { get; set; }

    public async Task RunAsync(IAsyncEnumerable<AgentConfiguration> configurations, CancellationToken cancellationToken)
    {
        await foreach (var configuration in configurations.WithCancellation(cancellationToken))
        {
            await Received.Writer.WriteAsync(configuration, cancellationToken);
            if (OnConfiguration is not null)
            {
                await OnConfiguration(configuration);
            }
        }
    }

    public async Task<AgentConfiguration> NextAsync() =>
        await Received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
}
