using Gitlab.Agent.Agentk.Configuration;
using Gitlab.Agent.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.IntegrationTests;

/// <summary>
/// Issue 2 end to end: a real git daemon, a real KAS and a real agentk in one process, talking over loopback sockets.
/// </summary>
public class AgentkKasEndToEndTests
{
    private static readonly TimeSpan SlowPoll = TimeSpan.FromSeconds(30);

    private static async Task<ConfigPropagationEnvironment> StartConnectedAsync(TimeSpan pollPeriod)
    {
        var environment = await ConfigPropagationEnvironment.StartAsync(pollPeriod, ConfigPropagationEnvironment.Config("ns-initial"));
        await environment.StartAgentAsync();
        Assert.Equal("ns-initial", (await environment.Module.NextAsync()).Marker);
        await environment.AgentLogs.WaitForAsync(l => l.Message == "Config: new commit"); // logged right after modules get it
        return environment;
    }

    private static string LastAgentCommit(ConfigPropagationEnvironment environment) =>
        (string)environment.AgentLogs.Logs.Last(l => l.Message == "Config: new commit").Fields["commitId"]!;

    [Fact]
    public async Task A_pushed_config_change_reaches_the_agent_module()
    {
        // Polling is slow (30 s), so the push notification is what delivers the change.
        await using var environment = await StartConnectedAsync(SlowPoll);
        var firstLog = await environment.AgentLogs.WaitForAsync(l => l.Message == "Config: new commit");
        Assert.Equal(environment.AgentId, (long)firstLog.Fields["agentId"]!);

        var commit = await environment.PushConfigAsync(ConfigPropagationEnvironment.Config("ns-second"));
        await environment.NotifyPushAsync();

        var observed = await environment.Module.NextAsync();
        Assert.Equal("ns-second", observed.Marker);
        Assert.Equal(environment.AgentId, observed.Configuration.AgentId);
        Assert.Equal(ConfigPropagationEnvironment.ProjectPath, observed.Configuration.ProjectPath);
        await environment.AgentLogs.WaitForAsync(l => l.Message == "Config: new commit" && (string?)l.Fields["commitId"] == commit);
        // KAS records the applied commit right after sending it.
        var agent = await WaitForAsync(() => environment.Registry.GetAgentAsync(environment.AgentId), a => a?.LastConfigurationCommit == commit);
        Assert.Equal(commit, agent!.LastConfigurationCommit);

        // The happy path logs no warning or error on the agent side (registration included).
        Assert.DoesNotContain(environment.AgentLogs.Logs, l => l.Level >= LogLevel.Warning);
        var connection = await WaitForAsync(
            () => environment.Registry.ListConnectionsAsync(environment.AgentId),
            c => c.Count > 0);
        Assert.Equal("agentk-e2e", Assert.Single(connection).PodName);
    }

    [Fact]
    public async Task A_push_that_does_not_touch_the_config_file_sends_nothing()
    {
        await using var environment = await StartConnectedAsync(SlowPoll);

        var unrelated = await environment.Repository.CommitFileAsync("README.md", "docs only\n", "docs");
        await environment.NotifyPushAsync();
        await environment.KasLogs.WaitForAsync(l => l.Message.StartsWith("Config: no updates", StringComparison.Ordinal) && l.Fields.Values.Contains(unrelated));
        var changed = await environment.PushConfigAsync(ConfigPropagationEnvironment.Config("ns-after-docs"));
        await environment.NotifyPushAsync();

        // The next (and only) message is the config change; the docs commit produced none.
        Assert.Equal("ns-after-docs", (await environment.Module.NextAsync()).Marker);
        await environment.AgentLogs.WaitForAsync(l => l.Message == "Config: new commit" && (string?)l.Fields["commitId"] == changed);
        var commits = environment.AgentLogs.Logs.Where(l => l.Message == "Config: new commit").Select(l => (string)l.Fields["commitId"]!).ToList();
        Assert.DoesNotContain(unrelated, commits);
        Assert.Equal(2, commits.Count);
    }

    [Fact]
    public async Task An_invalid_config_is_reported_by_kas_and_the_agent_keeps_the_previous_one()
    {
        await using var environment = await StartConnectedAsync(SlowPoll);
        var previousCommit = LastAgentCommit(environment);

        var bad = await environment.PushConfigAsync("gitops:\n  manifest_projectz: []\n", "broken configuration");
        await environment.NotifyPushAsync();

        var agent = await WaitForAsync(
            () => environment.Registry.GetAgentAsync(environment.AgentId),
            a => a?.LastConfigurationErrorCommit == bad);
        Assert.Contains("manifest_projectz", agent!.LastConfigurationError, StringComparison.Ordinal);
        Assert.Contains(environment.KasLogs.Logs, l => l.Level >= LogLevel.Warning && l.Message.Contains("manifest_projectz", StringComparison.Ordinal));

        // The agent still runs the previous configuration and got no message for the broken commit.
        Assert.False(environment.Module.Observed.Reader.TryRead(out _));
        Assert.Equal("ns-initial", environment.Agent.Services.GetRequiredService<AgentConfigurationHub>().Current!.Gitops.ManifestProjects[0].DefaultNamespace);
        Assert.Equal(previousCommit, LastAgentCommit(environment));

        // Fixing the file delivers it.
        await environment.PushConfigAsync(ConfigPropagationEnvironment.Config("ns-fixed"), "fix configuration");
        await environment.NotifyPushAsync();
        Assert.Equal("ns-fixed", (await environment.Module.NextAsync()).Marker);
    }

    [Fact]
    public async Task A_revoked_token_is_logged_as_unauthenticated_and_agentk_keeps_running()
    {
        await using var environment = await StartConnectedAsync(TimeSpan.FromSeconds(1));

        await environment.Registry.RevokeTokenAsync(environment.Token.Token.Id);

        var error = await environment.AgentLogs.WaitForAsync(l => l.EventId.Id == 3004);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.StartsWith("agent token was rejected by KAS (Unauthenticated)", error.Message, StringComparison.Ordinal);
        // It keeps retrying (a second rejection) and does not stop.
        await environment.AgentLogs.WaitForAsync(l => l.EventId.Id == 3004 && !ReferenceEquals(l, error));
        Assert.False(environment.Agent.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
    }

    [Fact]
    public async Task When_kas_restarts_on_the_same_port_the_agent_reconnects_and_gets_the_new_config()
    {
        await using var environment = await StartConnectedAsync(TimeSpan.FromSeconds(1));
        var port = environment.Addresses.Agent.Port;

        await environment.StopKasAsync();
        await environment.AgentLogs.WaitForAsync(l => l.EventId.Id == 3003 && l.Message.Contains("connection refused", StringComparison.Ordinal));
        var commit = await environment.PushConfigAsync(ConfigPropagationEnvironment.Config("ns-while-down"));
        await environment.StartKasAsync(port);

        var observed = await environment.Module.NextAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("ns-while-down", observed.Marker);
        await environment.AgentLogs.WaitForAsync(l => l.Message == "Config: new commit" && (string?)l.Fields["commitId"] == commit);
        Assert.False(environment.Agent.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(100);
        }
    }
}
