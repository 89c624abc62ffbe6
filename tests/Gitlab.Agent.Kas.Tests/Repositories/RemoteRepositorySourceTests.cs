using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.TestUtilities.Git;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gitlab.Agent.Kas.Tests.Repositories;

public sealed class RemoteRepositorySourceTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("remote");
    private GitDaemon _daemon = null!;

    public async Task InitializeAsync() => _daemon = await GitDaemon.StartAsync(_dir.Combine("served"));

    public async Task DisposeAsync()
    {
        await _daemon.DisposeAsync();
        _dir.Dispose();
    }

    private RemoteRepositorySource NewSource(string template) =>
        new(new RemoteRepositoryOptions(template, _dir.Combine("cache")), TimeProvider.System, NullLogger<RemoteRepositorySource>.Instance);

    [Fact]
    public async Task Fetches_from_git_daemon_on_first_read_and_on_refresh()
    {
        await GitTestRepository.InitBareAsync(_dir.Combine("served", "group", "project.git"));
        using var repo = await GitTestRepository.OpenAsync(_daemon.Url("group/project.git"));
        var first = await repo.CommitFileAsync(".gitlab/agents/a/config.yaml", "x: 1");
        using var source = NewSource(_daemon.BaseUrl + "{project}.git");

        Assert.Equal(first, await source.ResolveCommitAsync("group/project", null));
        Assert.True(Directory.Exists(_dir.Combine("cache", "group", "project.git")));
        var second = await repo.CommitFileAsync(".gitlab/agents/a/config.yaml", "x: 2");
        Assert.Equal(first, await source.ResolveCommitAsync("group/project", null)); // served from the mirror until refreshed

        Assert.True(await source.RefreshAsync("group/project"));

        Assert.Equal(second, await source.ResolveCommitAsync("group/project", null));
        var content = await source.ReadFileAsync("group/project", second, ".gitlab/agents/a/config.yaml", 1024);
        Assert.Equal("x: 2", System.Text.Encoding.UTF8.GetString(content!));
        Assert.False(await source.RefreshAsync("group/project"));
    }

    [Fact]
    public async Task Mirrors_take_the_remote_default_branch_and_tags()
    {
        await GitTestRepository.InitBareAsync(_dir.Combine("served", "group", "project.git"), defaultBranch: "trunk");
        using var repo = await GitTestRepository.OpenAsync(_daemon.Url("group/project.git"), branch: "trunk");
        var trunk = await repo.CommitFileAsync("f", "1");
        await repo.TagAsync("v1");
        await repo.CommitAsync(new Dictionary<string, string?> { ["f"] = "2" }, branch: "main");
        using var source = NewSource(_daemon.BaseUrl + "{project}.git");

        Assert.Equal(trunk, await source.ResolveCommitAsync("group/project", null));
        Assert.Equal(trunk, await source.ResolveCommitAsync("group/project", new GitReference(GitReferenceKind.Tag, "v1")));
    }

    [Fact]
    public async Task Fetches_local_paths_with_the_git_command_line()
    {
        using var repo = await GitTestRepository.CreateBareAsync(_dir.Combine("served", "group", "project.git"), defaultBranch: "trunk");
        var first = await repo.CommitFileAsync("f", "1");
        using var source = NewSource("file://" + _dir.Combine("served") + "/{project}.git");

        Assert.Equal(first, await source.ResolveCommitAsync("group/project", null));
        var second = await repo.CommitFileAsync("f", "2");
        Assert.True(await source.RefreshAsync("group/project"));
        Assert.Equal(second, await source.ResolveCommitAsync("group/project", null));
    }

    [Fact]
    public async Task A_project_the_host_does_not_have_fails_with_a_clear_error()
    {
        using var source = NewSource(_daemon.BaseUrl + "{project}.git");

        var ex = await Assert.ThrowsAsync<RepositoryException>(() => source.ResolveCommitAsync("group/missing", null));

        Assert.Contains("group/missing", ex.Message);
    }

    [Fact]
    public async Task A_stopped_host_keeps_serving_the_existing_mirror()
    {
        await GitTestRepository.InitBareAsync(_dir.Combine("served", "group", "project.git"));
        using var repo = await GitTestRepository.OpenAsync(_daemon.Url("group/project.git"));
        var first = await repo.CommitFileAsync("f", "1");
        using (var warm = NewSource(_daemon.BaseUrl + "{project}.git"))
        {
            await warm.ResolveCommitAsync("group/project", null);
        }

        var url = _daemon.BaseUrl + "{project}.git";
        await _daemon.DisposeAsync();
        using var source = NewSource(url);

        Assert.Equal(first, await source.ResolveCommitAsync("group/project", null));
        await Assert.ThrowsAsync<RepositoryException>(() => source.RefreshAsync("group/project"));
        _daemon = await GitDaemon.StartAsync(_dir.Combine("served"));
    }

    [Fact]
    public void The_url_template_needs_the_project_placeholder()
    {
        var ex = Assert.Throws<ArgumentException>(() => NewSource("git://127.0.0.1/x.git"));
        Assert.Contains("{project}", ex.Message);
    }
}
