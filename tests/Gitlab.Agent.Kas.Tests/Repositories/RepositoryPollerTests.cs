using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.TestUtilities.Git;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gitlab.Agent.Kas.Tests.Repositories;

public sealed class RepositoryPollerTests : IDisposable
{
    private readonly TempDirectory _root = new("poller");
    private readonly DirectoryRepositorySource _source;
    private readonly ProjectChangeNotifier _notifier = new();
    private readonly RepositoryPoller _poller;

    public RepositoryPollerTests()
    {
        _source = new DirectoryRepositorySource(_root.Path, TimeProvider.System);
        _poller = new RepositoryPoller(_source, _notifier, new KasRuntimeSettings(new KasOptions()), TimeProvider.System, NullLogger<RepositoryPoller>.Instance);
    }

    public void Dispose()
    {
        _poller.Dispose();
        _source.Dispose();
        _root.Dispose();
    }

    [Fact]
    public async Task A_poll_notifies_the_projects_whose_refs_moved_and_only_those()
    {
        using var a = await GitTestRepository.CreateBareAsync(_root.Combine("group", "a.git"));
        using var b = await GitTestRepository.CreateBareAsync(_root.Combine("group", "b.git"));
        await a.CommitFileAsync("f", "1");
        await b.CommitFileAsync("f", "1");
        await _source.ResolveCommitAsync("group/a", null);
        await _source.ResolveCommitAsync("group/b", null);
        using var changes = _notifier.Subscribe(null);

        await a.CommitFileAsync("f", "2");
        await _poller.PollOnceAsync(CancellationToken.None);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal("group/a", await changes.ReadAsync(cts.Token));
        Assert.False(await changes.WaitAsync(TimeSpan.FromMilliseconds(200), TimeProvider.System, CancellationToken.None));
    }

    [Fact]
    public async Task A_failing_project_does_not_stop_the_others()
    {
        using var a = await GitTestRepository.CreateBareAsync(_root.Combine("group", "a.git"));
        using var b = await GitTestRepository.CreateBareAsync(_root.Combine("group", "b.git"));
        await a.CommitFileAsync("f", "1");
        await b.CommitFileAsync("f", "1");
        await _source.ResolveCommitAsync("group/a", null);
        await _source.ResolveCommitAsync("group/b", null);
        using var changes = _notifier.Subscribe(null);
        _source.Dispose(); // drop cached handles so that the deleted repository is noticed
        Directory.Delete(_root.Combine("group", "a.git"), recursive: true);

        await b.CommitFileAsync("f", "2");
        await _poller.PollOnceAsync(CancellationToken.None);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal("group/b", await changes.ReadAsync(cts.Token));
    }
}
