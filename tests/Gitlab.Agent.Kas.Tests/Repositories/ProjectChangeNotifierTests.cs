using Gitlab.Agent.Kas.Repositories;

namespace Gitlab.Agent.Kas.Tests.Repositories;

public sealed class ProjectChangeNotifierTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_watcher_sees_every_change()
    {
        var notifier = new ProjectChangeNotifier();
        using var cts = new CancellationTokenSource(Timeout);
        await using var first = notifier.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        await using var second = notifier.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var firstNext = first.MoveNextAsync().AsTask();
        var secondNext = second.MoveNextAsync().AsTask();

        notifier.NotifyChanged("group/a");

        Assert.True(await firstNext);
        Assert.True(await secondNext);
        Assert.Equal("group/a", first.Current);
        Assert.Equal("group/a", second.Current);
    }

    [Fact]
    public async Task A_slow_reader_gets_each_changed_project_once_and_none_is_dropped()
    {
        var notifier = new ProjectChangeNotifier();
        using var subscriber = notifier.Subscribe(null);
        using var cts = new CancellationTokenSource(Timeout);

        for (var i = 0; i < 100; i++)
        {
            notifier.NotifyChanged("group/a");
            notifier.NotifyChanged("group/b");
        }

        notifier.NotifyChanged("group/c");
        Assert.Equal("group/a", await subscriber.ReadAsync(cts.Token));
        Assert.Equal("group/b", await subscriber.ReadAsync(cts.Token));
        Assert.Equal("group/c", await subscriber.ReadAsync(cts.Token));
        notifier.NotifyChanged("group/a");
        Assert.Equal("group/a", await subscriber.ReadAsync(cts.Token));
    }

    [Fact]
    public async Task A_filtered_subscriber_only_wakes_for_its_project()
    {
        var notifier = new ProjectChangeNotifier();
        using var subscriber = notifier.Subscribe("group/a");

        notifier.NotifyChanged("group/b");
        Assert.False(await subscriber.WaitAsync(TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None));

        notifier.NotifyChanged("group/a");
        Assert.True(await subscriber.WaitAsync(Timeout, TimeProvider.System, CancellationToken.None));
    }
}
