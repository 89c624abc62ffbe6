using System.Net;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Protocol.AgentConfiguration;
using Gitlab.Agent.Protocol.Entity;
using Gitlab.Agent.TestUtilities;
using Grpc.Core;

namespace Gitlab.Agent.Kas.Tests.Services;

public sealed class AgentConfigurationServiceTests : IAsyncDisposable
{
    private const string ConfigPath = ".gitlab/agents/agent1/config.yaml";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private KasTestHost _kas = null!;

    public async ValueTask DisposeAsync()
    {
        if (_kas is not null)
        {
            await _kas.DisposeAsync();
        }
    }

    private static string Config(string ns) => $"gitops:\n  manifest_projects:\n  - id: group/manifests\n    default_namespace: {ns}\n";

    private async Task<(AgentInfo Agent, NewAgentToken Token, TestUtilities.Git.GitTestRepository Repo, AsyncServerStreamingCall<ConfigurationResponse> Call, CancellationTokenSource Cts)> StartStreamAsync(
        string? initialConfig, TimeSpan? pollPeriod = null, string commitId = "", AgentMeta? meta = null)
    {
        _kas = await KasTestHost.StartAsync(pollPeriod: pollPeriod);
        var (agent, token) = await _kas.CreateAgentAsync("group/project", "agent1");
        var repo = await _kas.CreateRepositoryAsync("group/project");
        await repo.CommitFileAsync(initialConfig is null ? "README.md" : ConfigPath, initialConfig ?? "readme");
        var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var client = new AgentConfiguration.AgentConfigurationClient(_kas.Channel(KasListener.Agent, token.Secret));
        var call = client.GetConfiguration(new ConfigurationRequest { CommitId = commitId, AgentMeta = meta ?? new AgentMeta { Version = KasVersion.Current, PodName = "agentk-1", PodNamespace = "gitlab-agent" } }, cancellationToken: cts.Token);
        return (agent, token, repo, call, cts);
    }

    private static async Task<ConfigurationResponse> NextAsync(AsyncServerStreamingCall<ConfigurationResponse> call)
    {
        using var cts = new CancellationTokenSource(Timeout);
        Assert.True(await call.ResponseStream.MoveNext(cts.Token), "the stream ended");
        return call.ResponseStream.Current;
    }

    [Fact]
    public async Task The_first_message_carries_the_parsed_configuration_and_the_agent_identity()
    {
        var (agent, _, repo, call, cts) = await StartStreamAsync(Config("first"));
        using (repo)
        using (cts)
        using (call)
        {
            var response = await NextAsync(call);

            Assert.Equal(await Head(repo), response.CommitId);
            Assert.Equal("first", response.Configuration.Gitops.ManifestProjects[0].DefaultNamespace);
            Assert.Equal("group/manifests", response.Configuration.Gitops.ManifestProjects[0].Id);
            Assert.Equal((agent.Id, agent.ProjectId, "group/project"), (response.Configuration.AgentId, response.Configuration.ProjectId, response.Configuration.ProjectPath));
            await _kas.Logs.WaitForAsync(e => e.Message == "Config: new commit" && e.Field("commit_id") == response.CommitId && e.Field("agent_id") == agent.Id.ToString(), "Config: new commit");
            await Eventually.TrueAsync(async () => (await _kas.Registry.GetAgentAsync(agent.Id))!.LastConfigurationCommit == response.CommitId, "the sent commit is recorded");
        }
    }

    [Fact]
    public async Task A_missing_file_is_an_empty_configuration()
    {
        var (agent, _, repo, call, cts) = await StartStreamAsync(null);
        using (repo)
        using (cts)
        using (call)
        {
            var response = await NextAsync(call);

            Assert.Null(response.Configuration.Gitops);
            Assert.Equal(agent.Id, response.Configuration.AgentId);
        }
    }

    [Fact]
    public async Task Nothing_is_sent_when_the_agent_already_has_the_current_commit()
    {
        _kas = await KasTestHost.StartAsync();
        var (agent, token) = await _kas.CreateAgentAsync("group/project", "agent1");
        using var repo = await _kas.CreateRepositoryAsync("group/project");
        var head = await repo.CommitFileAsync(ConfigPath, Config("a"));
        var client = new AgentConfiguration.AgentConfigurationClient(_kas.Channel(KasListener.Agent, token.Secret));
        using var call = client.GetConfiguration(new ConfigurationRequest { CommitId = head });

        await _kas.Logs.WaitForAsync(e => e.Message == "Config: no updates" && e.Field("commit_id") == head && e.Field("agent_id") == agent.Id.ToString(), "no updates for the agent's commit");
        var changed = await repo.CommitFileAsync(ConfigPath, Config("b"));

        var response = await NextAsync(call);
        Assert.Equal(changed, response.CommitId);
    }

    [Fact]
    public async Task A_new_commit_that_changes_the_file_is_sent_and_one_that_does_not_is_skipped()
    {
        var (agent, _, repo, call, cts) = await StartStreamAsync(Config("one"));
        using (repo)
        using (cts)
        using (call)
        {
            await NextAsync(call);

            var changed = await repo.CommitFileAsync(ConfigPath, Config("two"));
            var second = await NextAsync(call);
            Assert.Equal(changed, second.CommitId);
            Assert.Equal("two", second.Configuration.Gitops.ManifestProjects[0].DefaultNamespace);

            var unrelated = await repo.CommitFileAsync("docs/readme.md", "unrelated");
            await _kas.Logs.WaitForAsync(e => e.Message == "Config: no updates" && e.Field("commit_id") == unrelated, "no updates for the unrelated commit");
            var third = await repo.CommitFileAsync(ConfigPath, Config("three"));

            var next = await NextAsync(call);
            Assert.Equal(third, next.CommitId);
            Assert.Equal("three", next.Configuration.Gitops.ManifestProjects[0].DefaultNamespace);
        }
    }

    [Fact]
    public async Task An_invalid_configuration_is_logged_recorded_and_not_sent()
    {
        var (agent, _, repo, call, cts) = await StartStreamAsync(Config("valid"));
        using (repo)
        using (cts)
        using (call)
        {
            await NextAsync(call);

            var invalid = await repo.CommitFileAsync(ConfigPath, "gitops:\n  manifest_projects:\n  - id: group/manifests\n    bogus_key: 1\n");
            var log = await _kas.Logs.WaitForAsync(e => e.Message.StartsWith("Config: invalid configuration") && e.Field("commit_id") == invalid, "Config: invalid configuration");
            Assert.Contains(ConfigPath + ":4:5", log.Message);
            var recorded = await _kas.Registry.GetAgentAsync(agent.Id);
            Assert.Equal(invalid, recorded!.LastConfigurationErrorCommit);
            Assert.Contains(ConfigPath + ":4:5", recorded.LastConfigurationError);

            var fixedCommit = await repo.CommitFileAsync(ConfigPath, Config("fixed"));
            var next = await NextAsync(call);
            Assert.Equal(fixedCommit, next.CommitId);
            await Eventually.TrueAsync(async () => (await _kas.Registry.GetAgentAsync(agent.Id))!.LastConfigurationError is null, "the error is cleared");
        }
    }

    [Fact]
    public async Task Revoking_the_token_ends_the_stream_with_Unauthenticated_and_refuses_new_calls()
    {
        var (agent, token, repo, call, cts) = await StartStreamAsync(Config("a"));
        using (repo)
        using (cts)
        using (call)
        {
            await NextAsync(call);

            await _kas.Registry.RevokeTokenAsync(token.Token.Id);

            using var deadline = new CancellationTokenSource(Timeout);
            var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(deadline.Token));
            Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
            var client = new AgentConfiguration.AgentConfigurationClient(_kas.Channel(KasListener.Agent, token.Secret));
            using var again = client.GetConfiguration(new ConfigurationRequest());
            var refused = await Assert.ThrowsAsync<RpcException>(() => again.ResponseStream.MoveNext());
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        }
    }

    [Fact]
    public async Task A_push_notification_wakes_the_stream_long_before_the_poll_period()
    {
        var (agent, _, repo, call, cts) = await StartStreamAsync(Config("a"), pollPeriod: TimeSpan.FromMinutes(10));
        using (repo)
        using (cts)
        using (call)
        {
            await NextAsync(call);
            var pushed = await repo.CommitFileAsync(ConfigPath, Config("pushed"));
            using var api = _kas.Http(KasListener.Api);

            var refresh = await api.PostAsync("/-/refresh/group/project", null);

            Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
            var next = await NextAsync(call); // NextAsync waits 30 s at most: far below the 10 minute poll period
            Assert.Equal(pushed, next.CommitId);
        }
    }

    [Fact]
    public async Task The_stream_registers_the_connection_and_marks_it_disconnected_when_it_ends()
    {
        var (agent, _, repo, call, cts) = await StartStreamAsync(Config("a"));
        using (repo)
        using (cts)
        {
            await NextAsync(call);
            var connection = Assert.Single(await _kas.Registry.ListConnectionsAsync(agent.Id));
            Assert.Equal(("agentk-1", "gitlab-agent", KasVersion.Current), (connection.PodName, connection.PodNamespace, connection.Version));

            call.Dispose();

            await Eventually.TrueAsync(async () => (await _kas.Registry.ListConnectionsAsync(agent.Id)).Count == 0, "the connection ends");
            Assert.Empty(await _kas.Registry.ListConnectionsAsync(agent.Id));
            var kinds = (await _kas.Registry.ListActivityAsync(agent.Id)).Select(e => e.Kind).ToArray();
            Assert.Equal([AgentActivityKind.AgentDisconnected, AgentActivityKind.AgentConnected, AgentActivityKind.TokenCreated], kinds);
        }
    }

    [Fact]
    public async Task A_different_agentk_major_minor_version_is_logged_as_a_warning()
    {
        var (agent, _, repo, call, cts) = await StartStreamAsync(Config("a"), meta: new AgentMeta { Version = "v99.1.0" });
        using (repo)
        using (cts)
        using (call)
        {
            await NextAsync(call);

            var warning = await _kas.Logs.WaitForAsync(e => e.EventId.Name == "VersionSkew", "version skew warning");
            Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
            Assert.Contains("v99.1.0", warning.Message);
            Assert.Contains(KasVersion.Current, warning.Message);
        }
    }

    [Fact]
    public async Task Streams_end_with_OK_at_the_max_connection_age()
    {
        _kas = await KasTestHost.StartAsync(c => c.Agent.Listen.MaxConnectionAge = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(2)));
        var (_, token) = await _kas.CreateAgentAsync("group/project", "agent1");
        using var repo = await _kas.CreateRepositoryAsync("group/project");
        await repo.CommitFileAsync(ConfigPath, Config("a"));
        var client = new AgentConfiguration.AgentConfigurationClient(_kas.Channel(KasListener.Agent, token.Secret));
        using var call = client.GetConfiguration(new ConfigurationRequest());
        using var deadline = new CancellationTokenSource(Timeout);

        Assert.True(await call.ResponseStream.MoveNext(deadline.Token));
        Assert.False(await call.ResponseStream.MoveNext(deadline.Token));

        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    private static Task<string> Head(TestUtilities.Git.GitTestRepository repo) => TestUtilities.Git.GitCli.RunAsync(repo.WorkTree, "rev-parse", "HEAD");
}
