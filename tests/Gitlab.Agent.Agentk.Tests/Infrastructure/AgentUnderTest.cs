using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.Agentk.Configuration;
using Gitlab.Agent.Agentk.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Agentk.Tests.Infrastructure;

/// <summary>A real agentk host built with <c>AddAgentk</c>, with captured logs, a recording module and fast retries.</summary>
public sealed class AgentUnderTest : IAsyncDisposable
{
    private readonly string _tokenFile;

    private AgentUnderTest(IHost host, CapturedLogs logs, RecordingModule module, string tokenFile)
    {
        Host = host;
        Logs = logs;
        Module = module;
        _tokenFile = tokenFile;
    }

    public IHost Host { get; }

    public CapturedLogs Logs { get; }

    public RecordingModule Module { get; }

    public static IHost Build(Action<AgentkOptions> configure, CapturedLogs logs, Action<IServiceCollection>? services = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.AddAgentk(configure);
        builder.Services.Configure<KasRetryOptions>(o =>
        {
            o.InitialDelay = TimeSpan.FromMilliseconds(50);
            o.MaxDelay = TimeSpan.FromMilliseconds(400);
            o.MinimumStreamDuration = TimeSpan.FromMilliseconds(10);
            o.KubernetesVersionTimeout = TimeSpan.FromSeconds(30); // loaded CI machines

        });
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>Starts agentk against <paramref name="kasAddress"/> with token <c>test-token</c> and a recording module.</summary>
    public static async Task<AgentUnderTest> StartAsync(string kasAddress, Action<AgentkOptions>? configure = null, Action<IServiceCollection>? services = null)
    {
        var tokenFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokenFile, "test-token\n");
        var logs = new CapturedLogs();
        var module = new RecordingModule();
        var host = Build(
            o =>
            {
                o.KasAddress = kasAddress;
                o.TokenFile = tokenFile;
                o.PodNamespace = "agent-ns";
                o.PodName = "agentk-0";
                configure?.Invoke(o);
            },
            logs,
            s =>
            {
                s.AddSingleton<IAgentModule>(module);
                services?.Invoke(s);
            });
        await host.StartAsync();
        return new AgentUnderTest(host, logs, module, tokenFile);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Host.StopAsync(cts.Token);
        Host.Dispose();
        File.Delete(_tokenFile);
    }
}
