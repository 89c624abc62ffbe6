using System.Threading.Channels;
using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Cilium.Agent;
using Gitlab.Agent.Cilium.Alerts;
using Gitlab.Agent.Protocol.AgentCfg;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Cilium.Tests.Infrastructure;

/// <summary>Runs a <see cref="CiliumAlertModule"/> with a scripted configuration stream.</summary>
internal sealed class ModuleHarness : IAsyncDisposable
{
    private readonly Channel<AgentConfiguration> _configurations = Channel.CreateUnbounded<AgentConfiguration>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    public ModuleHarness(ICiliumPolicyCache policies, IGitlabAccessClient gitlab, Action<CiliumAgentOptions>? configure = null, TimeProvider? time = null)
    {
        Options = FastOptions();
        configure?.Invoke(Options);
        Module = new CiliumAlertModule(policies, gitlab, Microsoft.Extensions.Options.Options.Create(Options), time ?? TimeProvider.System, Stats, Losses, NullLogger<CiliumAlertModule>.Instance);
        _run = Task.Run(() => Module.RunAsync(_configurations.Reader.ReadAllAsync(), _stop.Token));
    }

    public CiliumAgentOptions Options { get; }

    public CiliumAlertModule Module { get; }

    public CiliumAlertStats Stats { get; } = new();

    public AlertLossCounter Losses { get; } = new();

    public static CiliumAgentOptions FastOptions() => new()
    {
        ReconnectInitialDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromSeconds(1),
        ReconnectJitter = 0,
        AggregationWindow = TimeSpan.FromMilliseconds(200),
        FlushInterval = TimeSpan.FromMilliseconds(50),
        DeliveryRetryInitialDelay = TimeSpan.FromMilliseconds(50),
        DeliveryRetryMaxDelay = TimeSpan.FromMilliseconds(400),
        AlertBurstPerPolicy = 1000,
        AlertsPerMinutePerPolicy = 60_000,
    };

    /// <summary>Pushes a configuration with <c>cilium.hubble_relay_address</c> (none when <see langword="null"/>).</summary>
    public void Configure(string? hubbleRelayAddress, long projectId = 42)
    {
        var configuration = new AgentConfiguration { AgentId = 1, ProjectId = projectId };
        if (hubbleRelayAddress is not null)
        {
            configuration.Cilium = new CiliumCF { HubbleRelayAddress = hubbleRelayAddress };
        }

        _configurations.Writer.TryWrite(configuration);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run.WaitAsync(TimeSpan.FromSeconds(30));
        _stop.Dispose();
    }
}
