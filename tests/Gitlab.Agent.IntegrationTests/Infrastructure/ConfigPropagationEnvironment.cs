using System.Diagnostics;
using System.Threading.Channels;
using Gitlab.Agent.Agentk;
using Gitlab.Agent.Agentk.Configuration;
using Gitlab.Agent.Agentk.Modules;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.TestUtilities.Git;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using AgentConfiguration = Gitlab.Agent.Protocol.AgentCfg.AgentConfiguration;

namespace Gitlab.Agent.IntegrationTests.Infrastructure;

/// <summary>A configuration the agent module saw, with the <see cref="Stopwatch"/> timestamp of its arrival.</summary>
public sealed record ObservedConfiguration(AgentConfiguration Configuration, long Timestamp)
{
    /// <summary>The marker written by <see cref="ConfigPropagationEnvironment.Config"/> (the gitops default namespace).</summary>
    public string? Marker => Configuration.Gitops?.ManifestProjects.FirstOrDefault()?.DefaultNamespace;
}

/// <summary>An agent module that records every configuration it is given, with its arrival time.</summary>
public sealed class ProbeModule : IAgentModule
{
    public string Name => "probe";

    public Channel<ObservedConfiguration> Observed { get; } = Channel.CreateUnbounded<ObservedConfiguration>();

    public async Task RunAsync(IAsyncEnumerable<AgentConfiguration> configurations, CancellationToken cancellationToken)
    {
        await foreach (var configuration in configurations.WithCancellation(cancellationToken))
        {
            await Observed.Writer.WriteAsync(new ObservedConfiguration(configuration, Stopwatch.GetTimestamp()), cancellationToken);
        }
    }

    /// <summary>Waits (30 s by default) for the next configuration.</summary>
    public async Task<ObservedConfiguration> NextAsync(TimeSpan? timeout = null) =>
        await Observed.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
}

/// <summary>
/// The whole path of an agent configuration, with real processes and sockets: a work tree pushes to a bare repository
/// served by a real <c>git daemon</c>; KAS (Kestrel, every listener on 127.0.0.1) mirrors it through its
/// <c>url_template</c> remote source; agentk (built with <c>AddAgentk</c>) receives the configuration in a module.
/// </summary>
public sealed class ConfigPropagationEnvironment : IAsyncDisposable
{
    public const string ProjectPath = "group/agent-config";
    public const string AgentName = "agent1";
    public const string ConfigPath = ".gitlab/agents/agent1/config.yaml";

    private readonly TempDirectory _directory;
    private readonly TimeSpan _pollPeriod;
    private WebApplication? _kas;
    private IHost? _agent;

    private ConfigPropagationEnvironment(TempDirectory directory, GitDaemon daemon, GitTestRepository repository, TimeSpan pollPeriod)
    {
        _directory = directory;
        Daemon = daemon;
        Repository = repository;
        _pollPeriod = pollPeriod;
    }

    public GitDaemon Daemon { get; }

    /// <summary>Work tree whose commits are pushed through the git daemon.</summary>
    public GitTestRepository Repository { get; }

    public CapturedLogs KasLogs { get; } = new();

    public CapturedLogs AgentLogs { get; } = new();

    public ProbeModule Module { get; } = new();

    public WebApplication Kas => _kas ?? throw new InvalidOperationException("KAS is not running");

    public IHost Agent => _agent ?? throw new InvalidOperationException("agentk is not running");

    public IAgentRegistry Registry => Kas.Services.GetRequiredService<IAgentRegistry>();

    public IKasAddresses Addresses => Kas.Services.GetRequiredService<IKasAddresses>();

    public long AgentId { get; private set; }

    public NewAgentToken Token { get; private set; } = null!;

    /// <summary>A valid agent configuration whose gitops default namespace is <paramref name="marker"/>.</summary>
    public static string Config(string marker) => $"""
        gitops:
          manifest_projects:
          - id: group/manifests
            default_namespace: {marker}
        observability:
          logging:
            level: info
        """;

    /// <summary>
    /// Starts git daemon, pushes <paramref name="initialConfig"/>, starts KAS (configuration and repository poll period
    /// <paramref name="pollPeriod"/>) and registers the agent with a token. agentk is started by <see cref="StartAgentAsync"/>.
    /// </summary>
    public static async Task<ConfigPropagationEnvironment> StartAsync(TimeSpan pollPeriod, string initialConfig)
    {
        var directory = new TempDirectory("e2e");
        var served = directory.Combine("served");
        var daemon = await GitDaemon.StartAsync(served);
        await GitTestRepository.InitBareAsync(Path.Combine(served, ProjectPath + ".git"));
        var repository = await GitTestRepository.OpenAsync(daemon.Url(ProjectPath + ".git"));
        await repository.CommitFileAsync(ConfigPath, initialConfig, "initial configuration");

        var environment = new ConfigPropagationEnvironment(directory, daemon, repository, pollPeriod);
        await environment.StartKasAsync();
        var agent = await environment.Registry.CreateAgentAsync(ProjectPath, AgentName);
        environment.AgentId = agent.Id;
        environment.Token = await environment.Registry.CreateTokenAsync(agent.Id, "e2e");
        return environment;
    }

    /// <summary>Starts KAS; <paramref name="agentPort"/> pins the agent listener port (restart on the same port).</summary>
    public async Task StartKasAsync(int agentPort = 0)
    {
        var configuration = KasTestConfiguration.Loopback(_directory, _pollPeriod);
        configuration.Agent.Listen.Address = $"127.0.0.1:{agentPort}";
        configuration.Repositories.Directory = string.Empty; // mirrored from the git daemon instead
        configuration.Repositories.UrlTemplate = $"git://127.0.0.1:{Daemon.Port}/{{project}}.git";
        configuration.Repositories.CacheDirectory = _directory.Combine("kas-cache");
        _kas = await KasTestHost.StartApplicationAsync(_directory, configuration, l => l.AddProvider(KasLogs).SetMinimumLevel(LogLevel.Debug));
    }

    public async Task StopKasAsync()
    {
        if (_kas is { } kas)
        {
            _kas = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await kas.StopAsync(timeout.Token);
            await kas.DisposeAsync();
        }
    }

    /// <summary>Starts agentk against KAS's agent listener with the agent token.</summary>
    public async Task StartAgentAsync(Action<AgentkOptions>? configure = null)
    {
        var address = Addresses.Agent.ToString();
        var token = Token.Secret;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders().AddProvider(AgentLogs);
        builder.Services.AddAgentk(o =>
        {
            o.KasAddress = address;
            o.Token = token;
            o.PodNamespace = "gitlab-agent";
            o.PodName = "agentk-e2e";
            configure?.Invoke(o);
        });
        builder.Services.AddSingleton<IAgentModule>(Module);
        builder.Services.Configure<KasRetryOptions>(o => o.MaxDelay = TimeSpan.FromSeconds(2));
        var host = builder.Build();
        await host.StartAsync();
        _agent = host;
    }

    /// <summary>Commits and pushes the agent configuration file through the git daemon; returns the commit id.</summary>
    public Task<string> PushConfigAsync(string content, string message = "update configuration") =>
        Repository.CommitFileAsync(ConfigPath, content, message);

    /// <summary>Tells KAS the project changed (<c>POST /-/refresh/&lt;project&gt;</c> on the API listener), as a git hook would.</summary>
    public async Task NotifyPushAsync()
    {
        using var http = new HttpClient { BaseAddress = Addresses.Api, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.PostAsync($"/-/refresh/{ProjectPath}", content: null);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        if (_agent is { } agent)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await agent.StopAsync(timeout.Token);
            agent.Dispose();
        }

        await StopKasAsync();
        await Daemon.DisposeAsync();
        Repository.Dispose();
        _directory.Dispose();
    }
}
