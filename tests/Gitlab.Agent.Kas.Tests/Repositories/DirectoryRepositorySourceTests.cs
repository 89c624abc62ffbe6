using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.TestUtilities.Git;

namespace Gitlab.Agent.Kas.Tests.Repositories;

public sealed class DirectoryRepositorySourceTests : IDisposable
{
    private readonly TempDirectory _root = new("repos");
    private readonly DirectoryRepositorySource _source;

    public DirectoryRepositorySourceTests() => _source = new DirectoryRepositorySource(_root.Path, TimeProvider.System);

    public void Dispose()
    {
        _source.Dispose();
        _root.Dispose();
    }

    [Fact]
    public async Task Reads_files_of_the_default_branch_at_a_commit_without_a_work_tree()
    {
        using var repo = await GitTestRepository.CreateBareAsync(_root.Combine("group", "project.git"));
        var first = await repo.CommitAsync(new Dictionary<string, string?> { ["a.txt"] = "one", ["dir/b.yaml"] = "b: 1" });
        var second = await repo.CommitFileAsync("a.txt", "two");

        Assert.Equal(second, await _source.ResolveCommitAsync("group/project", null));
        Assert.Equal("two", await ReadText("group/project", second, "a.txt"));
        Assert.Equal("one", await ReadText("group/project", first, "a.txt"));
        Assert.Equal("b: 1", await ReadText("group/project", first, "/dir/b.yaml"));
        Assert.Null(await _source.ReadFileAsync("group/project", second, "missing.txt", 1024));
        Assert.Null(await _source.ReadFileAsync("group/project", second, "dir", 1024));
    }

    [Fact]
    public async Task Lists_every_blob_recursively_and_reads_blobs()
    {
        using var repo = await GitTestRepository.CreateBareAsync(_root.Combine("group", "project.git"));
        var commit = await repo.CommitAsync(new Dictionary<string, string?> { ["z.txt"] = "z", ["dir/sub/deep.yaml"] = "deep", ["dir/a.json"] = "{}" });

        var files = await _source.ListFilesAsync("group/project", commit);

        Assert.Equal(["dir/a.json", "dir/sub/deep.yaml", "z.txt"], files.Select(f => f.Path));
        Assert.Equal(4, files[1].Size);
        Assert.Equal("deep", System.Text.Encoding.UTF8.GetString(await _source.ReadBlobAsync("group/project", files[1])));
    }

    [Fact]
    public async Task The_default_branch_is_the_HEAD_symref()
    {
        using var repo = await GitTestRepository.CreateBareAsync(_root.Combine("group", "project.git"), defaultBranch: "trunk");
        var onTrunk = await repo.CommitFileAsync("f", "trunk");
        await repo.CommitAsync(new Dictionary<string, string?> { ["f"] = "other" }, branch: "feature");

        Assert.Equal(onTrunk, await _source.ResolveCommitAsync("group/project", null));
    }

    [Fact]
    public async Task Resolves_branches_tags_and_commits()
    {
        using var repo = await GitTestRepository.CreateBareAsync(_root.Combine("group", "project.git"));
        var tagged = await repo.CommitFileAsync("f", "1");
        await repo.TagAsync("v1");
        var head = await repo.CommitFileAsync("f", "2");
        var feature = await repo.CommitAsync(new Dictionary<string, string?> { ["f"] = "3" }, branch: "feature");

        Assert.Equal(tagged, await _source.ResolveCommitAsync("group/project", new GitReference(GitReferenceKind.Tag, "v1")));
        Assert.Equal(head, await _source.ResolveCommitAsync("group/project", new GitReference(GitReferenceKind.Branch, "main")));
        Assert.Equal(feature, await _source.ResolveCommitAsync("group/project", new GitReference(GitReferenceKind.Branch, "feature")));
        Assert.Equal(tagged, await _source.ResolveCommitAsync("group/project", new GitReference(GitReferenceKind.Commit, tagged)));
    }

    [Theory]
    [InlineData(GitReferenceKind.Branch, "nope")]
    [InlineData(GitReferenceKind.Tag, "v9")]
    [InlineData(GitReferenceKind.Commit, "0123456789012345678901234567890123456789")]
    [InlineData(GitReferenceKind.Commit, "not-a-sha")]
    public async Task Unknown_references_fail_with_ReferenceNotFound(GitReferenceKind kind, string name)
    {
        using var repo = await GitTestRepository.CreateBareAsync(_root.Combine("group", "project.git"));
        await repo.CommitFileAsync("f", "1");

        var ex = await Assert.ThrowsAsync<RepositoryException>(() => _source.ResolveCommitAsync("group/project", new GitReference(kind, name)));

        Assert.Equal(RepositoryErrorKind.ReferenceNotFound, ex.Kind);
        Assert.Contains(name, ex.Message);
        Assert.Contains("group/project", ex.Message);
    }

    [Fact]
    public async Task An_empty_repository_has_no_default_branch_commit()
    {
        await GitTestRepository.InitBareAsync(_root.Combine("group", "empty.git"));

        var ex = await Assert.ThrowsAsync<RepositoryException>(() => _source.ResolveCommitAsync("group/empty", null));

        Assert.Equal(RepositoryErrorKind.ReferenceNotFound, ex.Kind);
        Assert.Contains("no commits on its default branch 'main'", ex.Message);
    }

    [Theory]
    [InlineData("group/missing")]
    [InlineData("group/../etc")]
    [InlineData("missing")]
    public async Task Unknown_or_invalid_projects_fail_with_ProjectNotFound(string project)
    {
        var ex = await Assert.ThrowsAsync<RepositoryException>(() => _source.ResolveCommitAsync(project, null));
        Assert.Equal(RepositoryErrorKind.ProjectNotFound, ex.Kind);
    }

    [Fact]
    public async Task Files_larger_than_the_limit_are_refused()
    {
        using var repo = await GitTestRepository.CreateBareAsync(_root.Combine("group", "project.git"));
        var commit = await repo.CommitFileAsync("big.yaml", new string('x', 2000));

        var ex = await Assert.ThrowsAsync<RepositoryException>(() => _source.ReadFileAsync("group/project", commit, "big.yaml", 1000));

        Assert.Equal(RepositoryErrorKind.TooLarge, ex.Kind);
        Assert.Contains("'big.yaml'", ex.Message);
        Assert.Contains("2000 bytes", ex.Message);
        Assert.NotNull(await _source.ReadFileAsync("group/project", commit, "big.yaml", 2000));
    }

    [Fact]
    public async Task Refresh_reports_pushes_made_after_the_first_read()
    {
        using var repo = await GitTestRepository.CreateBareAsync(_root.Combine("group", "project.git"));
        await repo.CommitFileAsync("f", "1");
        await _source.ResolveCommitAsync("group/project", null);
        Assert.False(await _source.RefreshAsync("group/project"));
        Assert.Contains("group/project", _source.ActiveProjects);

        var pushed = await repo.CommitFileAsync("f", "2");

        Assert.True(await _source.RefreshAsync("group/project"));
        Assert.False(await _source.RefreshAsync("group/project"));
        Assert.Equal(pushed, await _source.ResolveCommitAsync("group/project", null));
        Assert.Equal("2", await ReadText("group/project", pushed, "f"));
    }

    [Fact]
    public async Task Concurrent_reads_of_one_repository_are_safe()
    {
        using var repo = await GitTestRepository.CreateBareAsync(_root.Combine("group", "project.git"));
        var files = Enumerable.Range(0, 50).ToDictionary(i => $"d/f{i}.yaml", i => (string?)$"v: {i}");
        var commit = await repo.CommitAsync(files);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => ReadText("group/project", commit, $"d/f{i % 50}.yaml"))));

        Assert.All(results.Select((r, i) => (r, i)), x => Assert.Equal($"v: {x.i % 50}", x.r));
    }

    private async Task<string?> ReadText(string project, string commit, string path) =>
        await _source.ReadFileAsync(project, commit, path, 1 << 20) is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : null;
}
