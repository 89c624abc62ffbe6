// Repository fetch benchmark: libgit2 (LibGit2Sharp) vs the git command line, measured in the same run, for the
// transports KAS mirrors from (git://, file://). Reports medians and the CLI/libgit2 ratio.
//   dotnet run -c Release --project bench/Gitlab.Agent.Kas.Bench [-- --files 5000 --runs 3]
using System.Diagnostics;
using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.TestUtilities.Git;
using Microsoft.Extensions.Logging.Abstractions;

var files = ArgValue("--files", 5000);
var runs = ArgValue("--runs", 3);
using var root = new TempDirectory("fetch-bench");
var served = root.Combine("served");
await GitTestRepository.InitBareAsync(Path.Combine(served, "group", "project.git"));
using var repo = await GitTestRepository.OpenAsync(Path.Combine(served, "group", "project.git"));
await repo.CommitAsync(Enumerable.Range(0, files).ToDictionary(i => $"manifests/d{i % 50}/f{i}.yaml", i => (string?)$"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\ndata:\n  value: \"{Guid.NewGuid()}\"\n"));
await using var daemon = await GitDaemon.StartAsync(served);
Console.WriteLine($"repository: {files} files; {runs} runs per case; median ms");
Console.WriteLine($"{"transport",-10} {"phase",-12} {"libgit2",9} {"git CLI",9} {"auto",9} {"CLI/libgit2",12} {"auto/best",10}");

foreach (var (name, template) in new[] { ("git://", daemon.BaseUrl + "{project}.git"), ("file://", "file://" + served + "/{project}.git") })
{
    var initial = new Dictionary<RepositoryFetchStrategy, List<double>>();
    var incremental = new Dictionary<RepositoryFetchStrategy, List<double>>();
    for (var run = 0; run < runs; run++)
    {
        foreach (var strategy in new[] { RepositoryFetchStrategy.LibGit2, RepositoryFetchStrategy.GitCli, RepositoryFetchStrategy.Auto })
        {
            var cache = root.Combine("cache", $"{name.Trim(':', '/')}-{strategy}-{run}");
            using var source = new RemoteRepositorySource(new RemoteRepositoryOptions(template, cache) { FetchStrategy = strategy }, TimeProvider.System, NullLogger<RemoteRepositorySource>.Instance);
            var sw = Stopwatch.StartNew();
            await source.ResolveCommitAsync("group/project", null);
            Add(initial, strategy, sw.Elapsed.TotalMilliseconds);
            await repo.CommitFileAsync($"manifests/extra-{strategy}-{run}.yaml", "kind: ConfigMap\n");
            sw.Restart();
            await source.RefreshAsync("group/project");
            Add(incremental, strategy, sw.Elapsed.TotalMilliseconds);
        }
    }

    Report(name, "initial", initial);
    Report(name, "incremental", incremental);
}

return 0;

static void Add(Dictionary<RepositoryFetchStrategy, List<double>> d, RepositoryFetchStrategy s, double ms) => (d.TryGetValue(s, out var l) ? l : d[s] = []).Add(ms);

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

static void Report(string transport, string phase, Dictionary<RepositoryFetchStrategy, List<double>> d)
{
    var lib = Median(d[RepositoryFetchStrategy.LibGit2]);
    var cli = Median(d[RepositoryFetchStrategy.GitCli]);
    var auto = Median(d[RepositoryFetchStrategy.Auto]);
    Console.WriteLine($"{transport,-10} {phase,-12} {lib,9:F0} {cli,9:F0} {auto,9:F0} {cli / lib,12:F2} {auto / Math.Min(lib, cli),10:F2}");
}

int ArgValue(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}
