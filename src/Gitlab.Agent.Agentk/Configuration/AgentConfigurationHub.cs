using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Gitlab.Agent.Protocol.AgentCfg;

namespace Gitlab.Agent.Agentk.Configuration;

/// <summary>
/// Fans the configuration received from KAS out to every subscriber. Each subscriber sees the current configuration
/// first and then every change; a slow subscriber skips intermediate versions (latest wins).
/// </summary>
internal sealed class AgentConfigurationHub
{
    private readonly Lock _lock = new();
    private readonly List<Channel<AgentConfiguration>> _subscribers = [];
    private AgentConfiguration? _current;

    /// <summary>The latest configuration, or <see langword="null"/> before the first one.</summary>
    public AgentConfiguration? Current
    {
        get
        {
            lock (_lock)
            {
                return _current;
            }
        }
    }

    public void Publish(AgentConfiguration configuration)
    {
        lock (_lock)
        {
            _current = configuration;
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(configuration);
            }
        }
    }

    public async IAsyncEnumerable<AgentConfiguration> SubscribeAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<AgentConfiguration>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_lock)
        {
            if (_current is not null)
            {
                channel.Writer.TryWrite(_current);
            }

            _subscribers.Add(channel);
        }

        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken))
            {
                while (channel.Reader.TryRead(out var configuration))
                {
                    yield return configuration;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                _subscribers.Remove(channel);
            }
        }
    }
}
