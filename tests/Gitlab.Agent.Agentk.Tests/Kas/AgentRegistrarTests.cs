using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Agentk.Tests.Infrastructure;
using Gitlab.Agent.Protocol.AgentConfiguration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gitlab.Agent.Agentk.Tests.Kas;

public class AgentRegistrarTests
{
    [Fact]
    public async Task After_the_first_configuration_agentk_registers_with_a_random_pod_id_and_then_skips_registration_in_GetConfiguration()
    {
        await using var kas = await FakeKas.StartAsync();
        var calls = 0;
        kas.State.OnGetConfiguration = async (_, stream, context) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                await stream.WriteAsync(new ConfigurationResponse { CommitId = "c1", Configuration = new() { AgentId = 5 } });
                return; // force a reconnect so the next request shows skip_register
            }

            await Task.Delay(200, context.CancellationToken); // short streams: each reconnect shows the current skip_register
        };
        await using var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{kas.Port}");

        var register = await kas.State.RegisterRequests.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, register.PodId);
        Assert.Equal("agentk-0", register.AgentMeta.PodName);
        var registrar = agent.Host.Services.GetServices<IHostedService>().OfType<AgentRegistrarService>().Single();
        Assert.Equal(registrar.PodId, register.PodId);
        Assert.False((await kas.State.ConfigurationRequests.Reader.ReadAsync()).Request.SkipRegister);
        // Every later stream asks KAS not to register again.
        var later = await kas.State.ConfigurationRequests.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        while (!later.Request.SkipRegister)
        {
            later = await kas.State.ConfigurationRequests.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.Equal("c1", later.Request.CommitId);
    }
}
