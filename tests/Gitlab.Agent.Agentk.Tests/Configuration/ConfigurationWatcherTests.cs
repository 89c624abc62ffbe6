using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.Agentk.Hosting;
using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Agentk.Tests.Infrastructure;
using Gitlab.Agent.Protocol.AgentCfg;
using Gitlab.Agent.Protocol.AgentConfiguration;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using AgentConfiguration = Gitlab.Agent.Protocol.AgentCfg.AgentConfiguration;

namespace Gitlab.Agent.Agentk.Tests.Configuration;

public class ConfigurationWatcherTests
{
    private static ConfigurationResponse Response(string commit, long agentId = 42, log_level_enum level = log_level_enum.Info) => new()
    {
        CommitId = commit,
        Configuration = new AgentConfiguration
        {
            AgentId = agentId,
            ProjectPath = "group/agent-config",
            Observability = new ObservabilityCF { Logging = new LoggingCF { Level = level } },
        },
    };

    private static async Task<SeenConfigurationRequest> NextRequestAsync(FakeKas kas) =>
        await kas.State.ConfigurationRequests.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    [Fact]
    public async Task Configuration_reaches_modules_and_every_call_carries_token_headers_gzip_and_user_agent()
    {
        await using var kas = await FakeKas.StartAsync();
        kas.State.OnGetConfiguration = async (_, stream, context) =>
        {
            await stream.WriteAsync(Response("c1"));
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        };

        await using var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{kas.Port}", o => o.KasHeaders.Add(new("X-Team", "blue")));

        var configuration = await agent.Module.NextAsync();
        Assert.Equal(42, configuration.AgentId);
        var seen = await NextRequestAsync(kas);
        Assert.Equal(string.Empty, seen.Request.CommitId);
        Assert.Equal("agent-ns", seen.Request.AgentMeta.PodNamespace);
        Assert.Equal("agentk-0", seen.Request.AgentMeta.PodName);
        Assert.Equal(AgentkVersion.Version, seen.Request.AgentMeta.Version);
        Assert.Equal(AgentkVersion.Commit, seen.Request.AgentMeta.CommitId);
        Assert.Equal("Bearer test-token", seen.Headers["authorization"]);
        Assert.Equal("blue", seen.Headers["x-team"]);
        Assert.Equal("gzip", seen.Headers["grpc-encoding"]);
        Assert.Equal($"agentk/{AgentkVersion.Version}/{AgentkVersion.Commit}", seen.Headers["user-agent"]);

        var log = await agent.Logs.WaitForAsync(l => l.Message == "Config: new commit");
        Assert.Equal(42L, log.Fields["agentId"]);
        Assert.Equal("c1", log.Fields["commitId"]);
        var info = agent.Host.Services.GetRequiredService<IAgentInfo>();
        Assert.Equal(42, info.AgentId);
        Assert.Equal("group/agent-config", info.ConfigProjectPath);
    }

    [Fact]
    public async Task After_a_normal_stream_end_agentk_reconnects_with_the_last_commit_id()
    {
        await using var kas = await FakeKas.StartAsync();
        var calls = 0;
        kas.State.OnGetConfiguration = async (request, stream, context) =>
        {
            switch (Interlocked.Increment(ref calls))
            {
                case 1:
                    await stream.WriteAsync(Response("c1"));
                    return; // max connection age: the server ends the stream with OK
                case 2:
                    await stream.WriteAsync(Response("c2", agentId: 43));
                    await Task.Delay(Timeout.Infinite, context.CancellationToken);
                    break;
                default:
                    await Task.Delay(Timeout.Infinite, context.CancellationToken);
                    break;
            }
        };

        await using var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{kas.Port}");

        Assert.Equal(string.Empty, (await NextRequestAsync(kas)).Request.CommitId);
        Assert.Equal("c1", (await NextRequestAsync(kas)).Request.CommitId);
        Assert.Equal(42, (await agent.Module.NextAsync()).AgentId);
        Assert.Equal(43, (await agent.Module.NextAsync()).AgentId);
        Assert.Equal(0, agent.Logs.Count(l => l.Level >= LogLevel.Error));
    }

    [Fact]
    public async Task Unauthenticated_is_logged_clearly_and_retried_without_stopping_agentk()
    {
        await using var kas = await FakeKas.StartAsync();
        kas.State.OnGetConfiguration = (_, _, _) => throw new RpcException(new Status(StatusCode.Unauthenticated, "token revoked"));

        await using var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{kas.Port}");

        var error = await agent.Logs.WaitForAsync(l => l.EventId.Id == 3004);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.StartsWith("agent token was rejected by KAS (Unauthenticated): the token may be revoked", error.Message, StringComparison.Ordinal);
        Assert.Contains("token revoked", error.Message, StringComparison.Ordinal);

        // Still retrying (at the slow pace, which the test shortened) and still running.
        for (var i = 0; i < 3; i++)
        {
            await NextRequestAsync(kas);
        }

        Assert.False(agent.Host.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
        Assert.Equal(0, agent.Host.Services.GetRequiredService<AgentkRunState>().ExitCode);
    }

    [Fact]
    public async Task A_rejected_configuration_is_logged_and_the_previous_one_is_kept()
    {
        await using var kas = await FakeKas.StartAsync();
        var calls = 0;
        kas.State.OnGetConfiguration = async (request, stream, context) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                await stream.WriteAsync(Response("good"));
                return;
            }

            throw new RpcException(new Status(StatusCode.FailedPrecondition, "Config: failed to parse .gitlab/agents/a/config.yaml: unknown field \"gitopz\""));
        };

        await using var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{kas.Port}");

        Assert.Equal(42, (await agent.Module.NextAsync()).AgentId);
        var log = await agent.Logs.WaitForAsync(l => l.EventId.Id == 3005);
        Assert.Equal("Config: KAS rejected the agent configuration, keeping the previous one: Config: failed to parse .gitlab/agents/a/config.yaml: unknown field \"gitopz\"", log.Message);
        Assert.Equal("good", log.Fields["commitId"]);
        var retry = await NextRequestAsync(kas);
        retry = await NextRequestAsync(kas);
        Assert.Equal("good", retry.Request.CommitId);
        Assert.False(agent.Module.Received.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Log_level_from_the_configuration_is_applied_at_runtime()
    {
        await using var kas = await FakeKas.StartAsync();
        var next = System.Threading.Channels.Channel.CreateUnbounded<ConfigurationResponse>();
        kas.State.OnGetConfiguration = async (_, stream, context) =>
        {
            await foreach (var response in next.Reader.ReadAllAsync(context.CancellationToken))
            {
                await stream.WriteAsync(response);
            }
        };

        await using var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{kas.Port}");
        var logger = agent.Host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gitlab.Agent.Test");
        Assert.False(logger.IsEnabled(LogLevel.Debug));

        await next.Writer.WriteAsync(Response("c1", level: log_level_enum.Debug));
        await agent.Module.NextAsync();
        var changed = await agent.Logs.WaitForAsync(l => l.Message == "Observability: log level changed");
        Assert.Equal("debug", changed.Fields["level"]);
        Assert.True(logger.IsEnabled(LogLevel.Debug));
        Assert.True(agent.Host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Grpc.Net.Client").IsEnabled(LogLevel.Error));
        Assert.False(agent.Host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Grpc.Net.Client").IsEnabled(LogLevel.Warning));

        await next.Writer.WriteAsync(Response("c2", level: log_level_enum.Error));
        await agent.Module.NextAsync();
        await agent.Logs.WaitForAsync(l => l.Message == "Observability: log level changed" && (string?)l.Fields["level"] == "error");
        Assert.False(logger.IsEnabled(LogLevel.Warning));
        Assert.True(logger.IsEnabled(LogLevel.Error));
        logger.LogInformation("hidden");
        Assert.Equal(0, agent.Logs.Count(l => l.Message == "hidden"));
    }

    [Fact]
    public async Task A_module_that_fails_stops_agentk_with_exit_code_one()
    {
        await using var kas = await FakeKas.StartAsync();
        kas.State.OnGetConfiguration = async (_, stream, context) =>
        {
            await stream.WriteAsync(Response("c1"));
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        };
        var tokenFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokenFile, "t");
        var logs = new CapturedLogs();
        using var host = AgentUnderTest.Build(
            o =>
            {
                o.KasAddress = $"grpc://127.0.0.1:{kas.Port}";
                o.TokenFile = tokenFile;
            },
            logs,
            s => s.AddSingleton<Modules.IAgentModule>(new RecordingModule("broken") { OnConfiguration = _ => throw new InvalidOperationException("boom") }));

        var exitCode = await host.RunAgentkAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
        var log = await logs.WaitForAsync(l => l.EventId.Id == 3008);
        Assert.Equal("broken", log.Fields["modName"]);
        Assert.Equal("boom", log.Exception!.Message);
        File.Delete(tokenFile);
    }

    [Fact]
    public async Task Invalid_options_make_RunAgentkAsync_return_one()
    {
        var logs = new CapturedLogs();
        using var host = AgentUnderTest.Build(o => o.KasAddress = "ws://kas:8150", logs);

        var exitCode = await host.RunAgentkAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exitCode);
        await logs.WaitForAsync(l => l.Message == "Invalid agentk options: --kas-address 'ws://kas:8150/': the ws/wss transport for --kas-address is provided by the Gitlab.Agent.Tunnel package (AddWebSocketTransport).");
        await logs.WaitForAsync(l => l.Message == "Invalid agentk options: no agent token: pass --token-file <file> or set the AGENTK_TOKEN environment variable.");
    }
}
