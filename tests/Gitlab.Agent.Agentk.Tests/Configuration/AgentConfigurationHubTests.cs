using Gitlab.Agent.Agentk.Configuration;
using Gitlab.Agent.Protocol.AgentCfg;

namespace Gitlab.Agent.Agentk.Tests.Configuration;

public class AgentConfigurationHubTests
{
    [Fact]
    public async Task A_new_subscriber_gets_the_current_configuration_first()
    {
        var hub = new AgentConfigurationHub();
        hub.Publish(new AgentConfiguration { AgentId = 1 });

        await using var e = hub.SubscribeAsync().GetAsyncEnumerator();

        Assert.True(await e.MoveNextAsync());
        Assert.Equal(1, e.Current.AgentId);
    }

    [Fact]
    public async Task A_slow_subscriber_skips_to_the_latest_configuration()
    {
        var hub = new AgentConfigurationHub();
        await using var e = hub.SubscribeAsync().GetAsyncEnumerator();
        var first = e.MoveNextAsync();
        hub.Publish(new AgentConfiguration { AgentId = 1 });
        Assert.True(await first);

        hub.Publish(new AgentConfiguration { AgentId = 2 });
        hub.Publish(new AgentConfiguration { AgentId = 3 });
        hub.Publish(new AgentConfiguration { AgentId = 4 });

        Assert.True(await e.MoveNextAsync());
        Assert.Equal(4, e.Current.AgentId);
        Assert.Equal(4, hub.Current!.AgentId);
    }

    [Fact]
    public async Task Cancelling_ends_the_subscription()
    {
        var hub = new AgentConfigurationHub();
        using var cts = new CancellationTokenSource();
        await using var e = hub.SubscribeAsync(cts.Token).GetAsyncEnumerator();
        var next = e.MoveNextAsync();

        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await next);
    }
}
