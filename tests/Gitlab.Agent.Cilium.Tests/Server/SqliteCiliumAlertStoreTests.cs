using Gitlab.Agent.Cilium.Tests.Infrastructure;

namespace Gitlab.Agent.Cilium.Tests.Server;

public sealed class SqliteCiliumAlertStoreTests : IDisposable
{
    private readonly ServerFixture _server = new(o => o.MaxAlertsPerAgent = 3);

    public void Dispose() => _server.Dispose();

    private static CiliumAlert Report(long agent, string fingerprint, int lastSecond) => new()
    {
        AgentId = agent,
        Fingerprint = fingerprint,
        PolicyNamespace = "prod",
        PolicyName = "p",
        Count = 1,
        FirstSeen = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero),
        LastSeen = new DateTimeOffset(2026, 3, 1, 10, 0, lastSecond, TimeSpan.Zero),
        ReceivedAt = DateTimeOffset.UtcNow,
    };

    [Fact]
    public async Task Keeps_the_most_recently_seen_alerts_per_agent()
    {
        for (var i = 0; i < 5; i++)
        {
            await _server.Store.UpsertAsync(Report(1, $"fp{i}", i));
        }

        await _server.Store.UpsertAsync(Report(2, "other", 0));
        Assert.Equal(["fp4", "fp3", "fp2"], (await _server.Store.ListAsync(1)).Select(a => a.Fingerprint));
        Assert.Equal(["other"], (await _server.Store.ListAsync(2)).Select(a => a.Fingerprint));
        Assert.Equal(["fp4", "fp3"], (await _server.Store.ListAsync(1, limit: 2)).Select(a => a.Fingerprint));
        Assert.Equal(4, (await _server.Store.ListAsync(null)).Count);
    }

    [Fact]
    public async Task Concurrent_reports_of_one_alert_add_up()
    {
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => _server.Store.UpsertAsync(Report(1, "same", i))));
        var alert = Assert.Single(await _server.Store.ListAsync(1));
        Assert.Equal(20, alert.Count);
        Assert.Equal(20, alert.Reports);
        Assert.Equal(19, alert.LastSeen.Second);
    }
}
