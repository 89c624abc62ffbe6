using System.Text;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.TestUtilities;

namespace Gitlab.Agent.Kas.Tests.Registry;

public sealed class SqliteAgentRegistryTests : IDisposable
{
    private readonly TempDirectory _dir = new("registry");
    private readonly SqliteAgentRegistry _registry;

    public SqliteAgentRegistryTests()
    {
        _registry = new SqliteAgentRegistry(new SqliteAgentRegistryOptions(_dir.Combine("data", "kas.db")), TimeProvider.System);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    [Fact]
    public async Task CreateAgent_creates_the_project_on_first_use_and_lists_the_agent()
    {
        var agent = await _registry.CreateAgentAsync("group/project", "my-agent");

        Assert.Equal("my-agent", agent.Name);
        Assert.Equal("group/project", agent.ProjectPath);
        var project = await _registry.GetProjectAsync("group/project");
        Assert.NotNull(project);
        Assert.Equal(agent.ProjectId, project.Id);
        Assert.False(project.IsPublic);
        Assert.Equal([agent.Id], (await _registry.ListAgentsAsync("group/project")).Select(a => a.Id));
        Assert.Empty(await _registry.ListAgentsAsync("other/project"));
        Assert.Equal(agent, await _registry.GetAgentAsync(agent.Id));
        Assert.Equal(agent, await _registry.FindAgentAsync("group/project", "my-agent"));
    }

    [Theory]
    [InlineData("My-Agent")]
    [InlineData("-agent")]
    [InlineData("agent-")]
    [InlineData("agent_1")]
    [InlineData("")]
    public async Task CreateAgent_rejects_invalid_names(string name)
    {
        var ex = await Assert.ThrowsAsync<AgentRegistryException>(() => _registry.CreateAgentAsync("group/project", name));
        Assert.Equal(AgentRegistryErrorKind.Invalid, ex.Kind);
        Assert.Contains("agent name", ex.Message);
        Assert.Empty(await _registry.ListAgentsAsync());
    }

    [Fact]
    public async Task CreateAgent_rejects_names_longer_than_63_characters()
    {
        var ex = await Assert.ThrowsAsync<AgentRegistryException>(() => _registry.CreateAgentAsync("group/project", new string('a', 64)));
        Assert.Contains("the maximum is 63", ex.Message);
        await _registry.CreateAgentAsync("group/project", new string('a', 63));
    }

    [Theory]
    [InlineData("project")]
    [InlineData("group/../etc")]
    [InlineData("group//project")]
    [InlineData("group/project.git")]
    [InlineData("group/pro ject")]
    public async Task CreateAgent_rejects_invalid_project_paths(string path)
    {
        var ex = await Assert.ThrowsAsync<AgentRegistryException>(() => _registry.CreateAgentAsync(path, "agent"));
        Assert.Equal(AgentRegistryErrorKind.Invalid, ex.Kind);
        Assert.Contains("project path", ex.Message);
    }

    [Fact]
    public async Task CreateAgent_refuses_a_duplicate_name_in_the_same_project_only()
    {
        await _registry.CreateAgentAsync("group/project", "agent");

        var ex = await Assert.ThrowsAsync<AgentRegistryException>(() => _registry.CreateAgentAsync("group/project", "agent"));
        Assert.Equal(AgentRegistryErrorKind.Conflict, ex.Kind);
        Assert.Contains("'agent' already exists in project 'group/project'", ex.Message);
        await _registry.CreateAgentAsync("group/other", "agent");
        Assert.Equal(2, (await _registry.ListAgentsAsync()).Count);
    }

    [Fact]
    public async Task CreateToken_returns_a_glagent_secret_that_authenticates_the_agent()
    {
        var agent = await _registry.CreateAgentAsync("group/project", "agent");

        var token = await _registry.CreateTokenAsync(agent.Id, "t1", "first token");

        Assert.StartsWith("glagent-", token.Secret);
        Assert.Equal(8 + 50, token.Secret.Length);
        Assert.Matches("^glagent-[A-Za-z0-9_-]{50}$", token.Secret);
        Assert.DoesNotContain(token.Secret, token.ToString());
        var identity = await _registry.AuthenticateAsync(token.Secret);
        Assert.NotNull(identity);
        Assert.Equal((agent.Id, "agent", agent.ProjectId, "group/project", token.Token.Id),
            (identity.AgentId, identity.AgentName, identity.ProjectId, identity.ProjectPath, identity.TokenId));
        Assert.Null(await _registry.AuthenticateAsync(token.Secret + "x"));
        Assert.Null(await _registry.AuthenticateAsync(""));
        var stored = Assert.Single(await _registry.ListTokensAsync(agent.Id));
        Assert.Equal("first token", stored.Description);
        Assert.NotNull(stored.LastUsedAt);
    }

    [Fact]
    public async Task The_database_files_contain_only_the_token_hash_never_the_secret()
    {
        var agent = await _registry.CreateAgentAsync("group/project", "agent");
        var token = await _registry.CreateTokenAsync(agent.Id, "t1");
        await _registry.AuthenticateAsync(token.Secret);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var files = Directory.GetFiles(_dir.Combine("data"));
        Assert.Contains(files, f => f.EndsWith("kas.db"));
        var all = files.Select(f => Encoding.Latin1.GetString(File.ReadAllBytes(f))).ToArray();
        Assert.DoesNotContain(all, content => content.Contains(token.Secret[8..], StringComparison.Ordinal));
        Assert.Contains(all, content => content.Contains(AgentTokens.Hash(token.Secret), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_third_active_token_is_refused_until_one_is_revoked()
    {
        var agent = await _registry.CreateAgentAsync("group/project", "agent");
        var first = await _registry.CreateTokenAsync(agent.Id, "t1");
        await _registry.CreateTokenAsync(agent.Id, "t2");

        var ex = await Assert.ThrowsAsync<AgentRegistryException>(() => _registry.CreateTokenAsync(agent.Id, "t3"));
        Assert.Equal(AgentRegistryErrorKind.LimitExceeded, ex.Kind);
        Assert.Contains("already has 2 active tokens", ex.Message);

        await _registry.RevokeTokenAsync(first.Token.Id);
        var third = await _registry.CreateTokenAsync(agent.Id, "t3");
        Assert.Equal(3, (await _registry.ListTokensAsync(agent.Id)).Count);
        Assert.Equal(2, (await _registry.ListTokensAsync(agent.Id)).Count(t => t.IsActive));
        Assert.NotNull(await _registry.AuthenticateAsync(third.Secret));
    }

    [Fact]
    public async Task Revoking_a_token_makes_the_next_authentication_fail_even_when_cached()
    {
        var agent = await _registry.CreateAgentAsync("group/project", "agent");
        var token = await _registry.CreateTokenAsync(agent.Id, "t1");
        Assert.NotNull(await _registry.AuthenticateAsync(token.Secret));

        await _registry.RevokeTokenAsync(token.Token.Id);

        Assert.Null(await _registry.AuthenticateAsync(token.Secret));
        Assert.NotNull((await _registry.ListTokensAsync(agent.Id))[0].RevokedAt);
    }

    [Fact]
    public async Task Revocation_by_another_registry_instance_on_the_same_file_applies_after_the_cache_ttl()
    {
        var agent = await _registry.CreateAgentAsync("group/project", "agent");
        var token = await _registry.CreateTokenAsync(agent.Id, "t1");
        var other = new SqliteAgentRegistry(new SqliteAgentRegistryOptions(_dir.Combine("data", "kas.db")) { AuthenticationCacheTtl = TimeSpan.Zero }, TimeProvider.System);
        Assert.NotNull(await other.AuthenticateAsync(token.Secret));

        await _registry.RevokeTokenAsync(token.Token.Id);

        Assert.Null(await other.AuthenticateAsync(token.Secret));
    }

    [Fact]
    public async Task Token_and_agent_operations_on_unknown_ids_fail_with_not_found()
    {
        Assert.Equal(AgentRegistryErrorKind.NotFound, (await Assert.ThrowsAsync<AgentRegistryException>(() => _registry.CreateTokenAsync(42, "t"))).Kind);
        Assert.Equal(AgentRegistryErrorKind.NotFound, (await Assert.ThrowsAsync<AgentRegistryException>(() => _registry.RevokeTokenAsync(42))).Kind);
        Assert.Equal(AgentRegistryErrorKind.NotFound, (await Assert.ThrowsAsync<AgentRegistryException>(() => _registry.DeleteAgentAsync(42))).Kind);
        var ex = await Assert.ThrowsAsync<AgentRegistryException>(() => _registry.DeleteTokenAsync(42));
        Assert.Equal("token 42 does not exist", ex.Message);
    }

    [Fact]
    public async Task Token_names_are_required_and_bounded()
    {
        var agent = await _registry.CreateAgentAsync("group/project", "agent");
        Assert.Contains("token name", (await Assert.ThrowsAsync<AgentRegistryException>(() => _registry.CreateTokenAsync(agent.Id, " "))).Message);
        Assert.Contains("255", (await Assert.ThrowsAsync<AgentRegistryException>(() => _registry.CreateTokenAsync(agent.Id, new string('t', 256)))).Message);
        Assert.Contains("1024", (await Assert.ThrowsAsync<AgentRegistryException>(() => _registry.CreateTokenAsync(agent.Id, "t", new string('d', 1025)))).Message);
    }

    [Fact]
    public async Task Deleting_an_agent_removes_its_tokens()
    {
        var agent = await _registry.CreateAgentAsync("group/project", "agent");
        var token = await _registry.CreateTokenAsync(agent.Id, "t1");
        Assert.NotNull(await _registry.AuthenticateAsync(token.Secret));

        await _registry.DeleteAgentAsync(agent.Id);

        Assert.Null(await _registry.AuthenticateAsync(token.Secret));
        Assert.Null(await _registry.GetAgentAsync(agent.Id));
        await _registry.CreateAgentAsync("group/project", "agent");
    }

    [Fact]
    public async Task Activity_records_token_and_connection_events_newest_first()
    {
        var agent = await _registry.CreateAgentAsync("group/project", "agent");
        var token = await _registry.CreateTokenAsync(agent.Id, "t1");
        var now = DateTimeOffset.UtcNow;
        var connection = new AgentConnectionInfo(agent.Id, 77, now, now) { Version = "v17.0.0", PodName = "agentk-1", PodNamespace = "gitlab-agent" };
        await _registry.RecordConnectionAsync(connection);
        await _registry.RecordConnectionAsync(connection); // still connected: no second event
        await _registry.RecordDisconnectionAsync(agent.Id, 77);
        await _registry.RecordDisconnectionAsync(agent.Id, 77); // already disconnected: no second event
        await _registry.RevokeTokenAsync(token.Token.Id);

        var events = await _registry.ListActivityAsync(agent.Id);

        Assert.Equal(
            [AgentActivityKind.TokenRevoked, AgentActivityKind.AgentDisconnected, AgentActivityKind.AgentConnected, AgentActivityKind.TokenCreated],
            events.Select(e => e.Kind));
        Assert.Equal(token.Token.Id, events[0].TokenId);
        Assert.Equal(77, events[1].ConnectionId);
        Assert.All(events, e => Assert.InRange(e.OccurredAt, now.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1)));
    }

    [Fact]
    public async Task Connections_are_listed_while_open_with_their_agent_meta()
    {
        var agent = await _registry.CreateAgentAsync("group/project", "agent");
        var now = DateTimeOffset.UtcNow;
        await _registry.RecordConnectionAsync(new AgentConnectionInfo(agent.Id, 1, now, now) { Version = "v1.2.3", CommitId = "abc", PodName = "p1", PodNamespace = "ns" });
        await _registry.RecordConnectionAsync(new AgentConnectionInfo(agent.Id, 2, now, now) { PodName = "p2" });

        await _registry.RecordDisconnectionAsync(agent.Id, 2);

        var open = Assert.Single(await _registry.ListConnectionsAsync(agent.Id));
        Assert.Equal((1L, "v1.2.3", "abc", "p1", "ns", agent.ProjectId), (open.ConnectionId, open.Version, open.CommitId, open.PodName, open.PodNamespace, open.ProjectId));
        Assert.Equal(2, (await _registry.ListConnectionsAsync(agent.Id, connectedOnly: false)).Count);
        Assert.NotNull((await _registry.ListConnectionsAsync(agent.Id, connectedOnly: false)).Single(c => c.ConnectionId == 2).DisconnectedAt);
    }

    [Fact]
    public async Task Configuration_error_is_recorded_and_cleared_by_the_next_applied_configuration()
    {
        var agent = await _registry.CreateAgentAsync("group/project", "agent");

        await _registry.RecordConfigurationErrorAsync(agent.Id, "c1", "config.yaml:3:5: gitops: unknown field");
        var failed = await _registry.GetAgentAsync(agent.Id);
        Assert.Equal(("config.yaml:3:5: gitops: unknown field", "c1"), (failed!.LastConfigurationError, failed.LastConfigurationErrorCommit));

        await _registry.RecordConfigurationAppliedAsync(agent.Id, "c2");
        var applied = await _registry.GetAgentAsync(agent.Id);
        Assert.Equal("c2", applied!.LastConfigurationCommit);
        Assert.Null(applied.LastConfigurationError);
        Assert.NotNull(applied.LastConfigurationAt);
    }

    [Fact]
    public async Task Project_visibility_can_be_changed()
    {
        await _registry.EnsureProjectAsync("group/manifests");
        await _registry.SetProjectVisibilityAsync("group/manifests", true);

        Assert.True((await _registry.GetProjectAsync("group/manifests"))!.IsPublic);
        Assert.Null(await _registry.GetProjectAsync("group/missing"));
        Assert.Single(await _registry.ListProjectsAsync());
    }

    [Fact]
    public async Task Reopening_the_database_keeps_the_data_and_does_not_reapply_migrations()
    {
        var agent = await _registry.CreateAgentAsync("group/project", "agent");

        var reopened = new SqliteAgentRegistry(new SqliteAgentRegistryOptions(_dir.Combine("data", "kas.db")), TimeProvider.System);

        Assert.Equal(agent, await reopened.GetAgentAsync(agent.Id));
    }
}
