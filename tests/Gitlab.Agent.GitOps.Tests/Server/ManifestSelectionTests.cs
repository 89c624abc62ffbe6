using Gitlab.Agent.GitOps.Server;
using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.Protocol.GitOps;
using Google.Protobuf.Collections;
using Grpc.Core;

namespace Gitlab.Agent.GitOps.Tests.Server;

public class ManifestSelectionTests
{
    private static readonly RepositoryEntry[] Files =
    [
        new("a.yaml", "1", 10),
        new("b.yml", "2", 10),
        new("c.json", "3", 10),
        new("README.md", "4", 10),
        new("apps/x/deploy.yaml", "5", 10),
        new(".gitlab/agents/a/config.yaml", "6", 10),
        new("apps/.secret/s.yaml", "7", 10),
        new(".top.yaml", "8", 10),
    ];

    private static RepeatedField<PathCF> Globs(params string[] globs)
    {
        var field = new RepeatedField<PathCF>();
        field.AddRange(globs.Select(g => new PathCF { Glob = g }));
        return field;
    }

    private static IReadOnlyList<string> Select(RepeatedField<PathCF> paths, GitOpsServerOptions? limits = null)
    {
        limits ??= new GitOpsServerOptions();
        var parsed = ManifestSelection.ParsePaths(paths, limits.MaxNumberOfPaths);
        return ManifestSelection.Select("g/p", "abc", Files, parsed, limits).Select(e => e.Path).ToList();
    }

    [Fact]
    public void Default_glob_selects_yaml_yml_json_outside_hidden_directories()
    {
        Assert.Equal([".top.yaml", "a.yaml", "apps/x/deploy.yaml", "b.yml", "c.json"], Select(Globs("**/*.{yaml,yml,json}")));
    }

    [Fact]
    public void Overlapping_globs_select_each_file_once()
    {
        Assert.Equal([".top.yaml", "a.yaml"], Select(Globs("a.yaml", "*.yaml", "/a.yaml")));
        Assert.Equal(["a.yaml"], Select(Globs("a.yaml", "/a.yaml", "a.y*")));
    }

    [Fact]
    public void File_paths_select_exact_files_and_missing_files_fail()
    {
        var paths = new RepeatedField<PathCF> { new PathCF { File = "/apps/x/deploy.yaml" } };
        Assert.Equal(["apps/x/deploy.yaml"], Select(paths));

        var missing = new RepeatedField<PathCF> { new PathCF { File = "nope.yaml" } };
        var e = Assert.Throws<RpcException>(() => Select(missing));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("nope.yaml", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_many_paths_is_invalid_argument_naming_the_limit()
    {
        var e = Assert.Throws<RpcException>(() => Select(Globs("a", "b", "c"), new GitOpsServerOptions { MaxNumberOfPaths = 2 }));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("max_number_of_paths = 2", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_glob_is_invalid_argument_naming_the_glob()
    {
        var e = Assert.Throws<RpcException>(() => Select(Globs("{a")));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("'{a'", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_paths_are_invalid()
    {
        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<RpcException>(() => Select([])).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<RpcException>(() => Select(Globs(""))).StatusCode);
    }

    [Fact]
    public void Too_many_files_fails_precondition_naming_the_limit()
    {
        var e = Assert.Throws<RpcException>(() => Select(Globs("**"), new GitOpsServerOptions { MaxNumberOfFiles = 3 }));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("max_number_of_files = 3", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("nothing was sent", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_large_file_fails_precondition_naming_file_and_sizes()
    {
        var limits = new GitOpsServerOptions { MaxManifestFileSize = 9, MaxTotalManifestFileSize = 100 };
        var e = Assert.Throws<RpcException>(() => Select(Globs("a.yaml"), limits));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("a.yaml", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("10 bytes", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("max_manifest_file_size = 9", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_large_total_fails_precondition_naming_the_total()
    {
        var limits = new GitOpsServerOptions { MaxManifestFileSize = 10, MaxTotalManifestFileSize = 25 };
        var e = Assert.Throws<RpcException>(() => Select(Globs("*.{yaml,yml,json}"), limits));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("max_total_manifest_file_size = 25", e.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a.yaml", false)]
    [InlineData(".a.yaml", false)]
    [InlineData(".gitlab/x.yaml", true)]
    [InlineData("a/.b/c.yaml", true)]
    [InlineData("a/b.c/d.yaml", false)]
    public void Hidden_directories(string path, bool hidden)
    {
        Assert.Equal(hidden, ManifestSelection.IsInHiddenDirectory(path));
    }
}
