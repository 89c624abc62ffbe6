using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Gitlab.Agent.GitOps.Server;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.Protocol.GitOps;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.GitOps.Tests.Server;

public class ObjectsToSynchronizeHandlerTests
{
    private static readonly AgentIdentity Agent = new(7, "agent1", 1, "group/config", 1);

    private sealed class FakeRepositories : IRepositorySource
    {
        public ConcurrentDictionary<string, (string Commit, Dictionary<string, byte[]> Files)> Projects { get; } = new();

        public int Resolves;

        public Task<string> ResolveCommitAsync(string projectPath, GitReference? reference, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Resolves);
            if (!Projects.TryGetValue(projectPath, out var p))
            {
                throw new RepositoryException("no such project") { Kind = RepositoryErrorKind.ProjectNotFound };
            }

            if (reference is { Kind: GitReferenceKind.Branch, Name: not "main" })
            {
                throw new RepositoryException($"unknown {reference}") { Kind = RepositoryErrorKind.ReferenceNotFound };
            }

            return Task.FromResult(p.Commit);
        }

        public Task<byte[]?> ReadFileAsync(string projectPath, string commitId, string path, long maxSize, CancellationToken cancellationToken = default) =>
            Task.FromResult(Projects[projectPath].Files.GetValueOrDefault(path));

        public Task<IReadOnlyList<RepositoryEntry>> ListFilesAsync(string projectPath, string commitId, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<RepositoryEntry>>([.. Projects[projectPath].Files.Select(f => new RepositoryEntry(f.Key, f.Key, f.Value.Length))]);

        public Task<byte[]> ReadBlobAsync(string projectPath, RepositoryEntry entry, CancellationToken cancellationToken = default) =>
            Task.FromResult(Projects[projectPath].Files[entry.Path]);
    }

    private sealed class FakeProjects : IProjectInfoProvider
    {
        public Dictionary<string, ProjectInfo> Projects { get; } = new(StringComparer.OrdinalIgnoreCase);

        public ValueTask<ProjectInfo?> GetProjectAsync(string projectPath, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Projects.GetValueOrDefault(projectPath));
    }

    private sealed class FakeNotifier : IProjectChangeNotifier
    {
        private readonly List<Channel<string>> _subscribers = [];

        public int Subscribers { get { lock (_subscribers) { return _subscribers.Count; } } }

        public void NotifyChanged(string projectPath)
        {
            lock (_subscribers)
            {
                foreach (var s in _subscribers)
                {
                    s.Writer.TryWrite(projectPath);
                }
            }
        }

        public async IAsyncEnumerable<string> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var channel = Channel.CreateUnbounded<string>();
            lock (_subscribers)
            {
                _subscribers.Add(channel);
            }

            try
            {
                await foreach (var p in channel.Reader.ReadAllAsync(cancellationToken))
                {
                    yield return p;
                }
            }
            finally
            {
                lock (_subscribers)
                {
                    _subscribers.Remove(channel);
                }
            }
        }
    }

    private sealed class ListWriter : IAsyncStreamWriter<ObjectsToSynchronizeResponse>
    {
        public List<ObjectsToSynchronizeResponse> Messages { get; } = [];

        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(ObjectsToSynchronizeResponse message)
        {
            Messages.Add(message);
            return Task.CompletedTask;
        }
    }

    private sealed class Fixture
    {
        public FakeRepositories Repositories { get; } = new();

        public FakeProjects Projects { get; } = new();

        public FakeNotifier Notifier { get; } = new();

        public GitOpsServerOptions Options { get; } = new();

        public ObjectsToSynchronizeHandler Create()
        {
            var monitor = new StaticMonitor(Options);
            return new ObjectsToSynchronizeHandler(
                Repositories, Notifier, new ManifestProjectAuthorizer(Projects, monitor), monitor, TimeProvider.System,
                NullLogger<ObjectsToSynchronizeHandler>.Instance);
        }

        public void AddProject(string path, bool isPublic, string commit, params (string Path, string Content)[] files)
        {
            Projects.Projects[path] = new ProjectInfo(Projects.Projects.Count + 10, path, isPublic);
            Repositories.Projects[path] = (commit, files.ToDictionary(f => f.Path, f => Encoding.UTF8.GetBytes(f.Content)));
        }
    }

    private sealed class StaticMonitor(GitOpsServerOptions value) : IOptionsMonitor<GitOpsServerOptions>
    {
        public GitOpsServerOptions CurrentValue => value;

        public GitOpsServerOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<GitOpsServerOptions, string?> listener) => null;
    }

    private static ObjectsToSynchronizeRequest Request(string project, string commit = "", params string[] globs)
    {
        var request = new ObjectsToSynchronizeRequest { ProjectId = project, CommitId = commit };
        foreach (var glob in globs.Length == 0 ? ["**/*.{yaml,yml,json}"] : globs)
        {
            request.Paths.Add(new PathCF { Glob = glob });
        }

        return request;
    }

    [Fact]
    public async Task Sends_header_objects_in_chunks_and_trailer()
    {
        var f = new Fixture();
        var big = new string('x', (128 * 1024) + 10);
        f.AddProject("group/config", false, "c1", ("a.yaml", "a: 1"), ("big.yaml", big), ("README.md", "no"), (".hidden/x.yaml", "no"));
        var writer = new ListWriter();
        await f.Create().RunAsync(Agent, Request(""), writer, null, CancellationToken.None);

        Assert.Equal(ObjectsToSynchronizeResponse.MessageOneofCase.Header, writer.Messages[0].MessageCase);
        Assert.Equal("c1", writer.Messages[0].Header.CommitId);
        Assert.Equal(10, writer.Messages[0].Header.ProjectId);
        var objects = writer.Messages.Skip(1).SkipLast(1).Select(m => m.Object).ToList();
        Assert.Equal(["a.yaml", "big.yaml", "big.yaml"], objects.Select(o => o.Source));
        Assert.All(objects, o => Assert.True(o.Data.Length <= ObjectsToSynchronizeHandler.ChunkSize));
        Assert.Equal(big, string.Concat(objects.Where(o => o.Source == "big.yaml").Select(o => o.Data.ToStringUtf8())));
        Assert.Equal(ObjectsToSynchronizeResponse.MessageOneofCase.Trailer, writer.Messages[^1].MessageCase);
    }

    [Fact]
    public async Task Same_commit_waits_for_a_push_notification()
    {
        var f = new Fixture();
        f.Options.PollPeriod = TimeSpan.FromHours(1);
        f.AddProject("group/config", false, "c1", ("a.yaml", "a: 1"));
        var writer = new ListWriter();
        var run = f.Create().RunAsync(Agent, Request("group/config", "c1"), writer, null, CancellationToken.None);

        await WaitUntil(() => f.Notifier.Subscribers == 1 && f.Repositories.Resolves >= 1);
        Assert.False(run.IsCompleted);
        Assert.Empty(writer.Messages);

        f.Notifier.NotifyChanged("group/other");
        f.Repositories.Projects["group/config"] = ("c2", f.Repositories.Projects["group/config"].Files);
        f.Notifier.NotifyChanged("group/config");
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("c2", writer.Messages[0].Header.CommitId);
    }

    [Fact]
    public async Task Same_commit_is_polled_again_after_the_poll_period()
    {
        var f = new Fixture();
        f.Options.PollPeriod = TimeSpan.FromMilliseconds(100);
        f.AddProject("group/config", false, "c1", ("a.yaml", "a: 1"));
        var writer = new ListWriter();
        var run = f.Create().RunAsync(Agent, Request("group/config", "c1"), writer, null, CancellationToken.None);
        await WaitUntil(() => f.Repositories.Resolves >= 2);
        f.Repositories.Projects["group/config"] = ("c2", f.Repositories.Projects["group/config"].Files);
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("c2", writer.Messages[0].Header.CommitId);
    }

    [Fact]
    public async Task Revoked_token_ends_a_waiting_stream()
    {
        var f = new Fixture();
        f.Options.PollPeriod = TimeSpan.FromMilliseconds(50);
        f.AddProject("group/config", false, "c1", ("a.yaml", "a: 1"));
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            f.Create().RunAsync(Agent, Request("group/config", "c1"), new ListWriter(), _ => ValueTask.FromResult(false), CancellationToken.None));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
    }

    [Fact]
    public async Task Private_project_of_another_config_project_is_denied_with_a_hint()
    {
        var f = new Fixture();
        f.AddProject("group/private", false, "c1", ("a.yaml", "a: 1"));
        var e = await Assert.ThrowsAsync<RpcException>(() => f.Create().RunAsync(Agent, Request("group/private"), new ListWriter(), null, CancellationToken.None));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Contains("group/private is private and not the agent's configuration project", e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("agent.gitops.manifest_project_grants", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Public_projects_and_granted_private_projects_are_allowed()
    {
        var f = new Fixture();
        f.AddProject("group/public", true, "c1", ("a.yaml", "a: 1"));
        f.AddProject("group/private", false, "c2", ("a.yaml", "a: 1"));
        var grant = new ManifestProjectGrant { Project = "group/private" };
        grant.ConfigProjects.Add("group/config");
        f.Options.ManifestProjectGrants.Add(grant);

        var writer = new ListWriter();
        await f.Create().RunAsync(Agent, Request("group/public"), writer, null, CancellationToken.None);
        Assert.Equal("c1", writer.Messages[0].Header.CommitId);
        writer = new ListWriter();
        await f.Create().RunAsync(Agent, Request("group/private"), writer, null, CancellationToken.None);
        Assert.Equal("c2", writer.Messages[0].Header.CommitId);
    }

    [Fact]
    public async Task Unknown_project_and_reference_are_clear_errors()
    {
        var f = new Fixture();
        var e = await Assert.ThrowsAsync<RpcException>(() => f.Create().RunAsync(Agent, Request("group/nope"), new ListWriter(), null, CancellationToken.None));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Contains("group/nope", e.Status.Detail, StringComparison.Ordinal);

        f.AddProject("group/config", false, "c1", ("a.yaml", "a: 1"));
        var request = Request("group/config");
        request.Ref = new GitRefCF { Branch = "feature" };
        e = await Assert.ThrowsAsync<RpcException>(() => f.Create().RunAsync(Agent, request, new ListWriter(), null, CancellationToken.None));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("branch feature", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Limits_are_enforced_before_anything_is_sent()
    {
        var f = new Fixture();
        f.Options.MaxManifestFileSize = 5;
        f.AddProject("group/config", false, "c1", ("a.yaml", "a: 1"), ("b.yaml", "b: 123456"));
        var writer = new ListWriter();
        var e = await Assert.ThrowsAsync<RpcException>(() => f.Create().RunAsync(Agent, Request("group/config"), writer, null, CancellationToken.None));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("b.yaml", e.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(writer.Messages);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(20);
        }
    }
}
