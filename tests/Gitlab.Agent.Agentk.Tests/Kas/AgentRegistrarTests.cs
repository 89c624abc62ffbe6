using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Agentk.Tests.Infrastructure;
using Gitlab.Agent.Protocol.AgentConfiguration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gitlab.Agent.Agentk.Tests.Kas;

public class AgentRegistrarTests
{
    private static void ServeOnce(FakeKas kas) =>
        kas.State.OnGetConfiguration = async (request, stream, context) =>
        {
            if (request.CommitId.Length == 0)
            {
                await stream.WriteAsync(new ConfigurationResponse { CommitId = "c1", Configuration = new() { AgentId = 5 } });
            }

            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        };

    [Fact]
    public async Task Agentk_registers_with_a_random_pod_id_and_asks_GetConfiguration_not_to_register()
    {
        await using var kas = await FakeKas.StartAsync();
        ServeOnce(kas);
        await using var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{kas.Port}");

        var register = await kas.State.RegisterRequests.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, register.PodId);
        Assert.Equal("agentk-0", register.AgentMeta.PodName);
        Assert.Equal("agent-ns", register.AgentMeta.PodNamespace);
        var registrar = agent.Host.Services.GetServices<IHostedService>().OfType<AgentRegistrarService>().Single();
        Assert.Equal(registrar.PodId, register.PodId);
        Assert.True((await kas.State.ConfigurationRequests.Reader.ReadAsync()).Request.SkipRegister);
        Assert.Equal(5, (await agent.Module.NextAsync()).AgentId);
    }

    [Fact]
    public async Task Without_AgentRegistrar_on_KAS_the_stream_is_reopened_so_GetConfiguration_registers()
    {
        await using var kas = await FakeKas.StartAsync(registrar: false);
        ServeOnce(kas);
        await using var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{kas.Port}");

        await agent.Logs.WaitForAsync(l => l.EventId.Id == 3011);
        var first = await kas.State.ConfigurationRequests.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        var second = await kas.State.ConfigurationRequests.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(first.Request.SkipRegister);
        Assert.False(second.Request.SkipRegister);
        Assert.Equal(5, (await agent.Module.NextAsync()).AgentId);
        Assert.Equal(0, agent.Logs.Count(l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Warning));
    }
}
