using Gitlab.Agent.Protocol.KasCfg;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Kas;

/// <summary>One listener's effective settings.</summary>
internal sealed record ListenerSettings(KasListener Listener, string Network, string Address, string? CertificateFile, string? KeyFile)
{
    public bool IsTls => !string.IsNullOrEmpty(CertificateFile) && !string.IsNullOrEmpty(KeyFile);
}

/// <summary>
/// Effective values of the KAS configuration: what <see cref="KasOptions.Configuration"/> says, or the documented default.
/// Everything in the runtime reads settings from here so the defaults live in one place.
/// </summary>
internal sealed class KasRuntimeSettings
{
    public static readonly TimeSpan DefaultPollPeriod = TimeSpan.FromSeconds(20);

    public KasRuntimeSettings(IOptions<KasOptions> options)
        : this(options.Value)
    {
    }

    public KasRuntimeSettings(KasOptions options)
    {
        Options = options;
        var c = options.Configuration;
        var agent = c.Agent ?? new AgentCF();
        var listen = agent.Listen ?? new AgentListenCF();
        AgentListener = new ListenerSettings(KasListener.Agent, Or(listen.Network, "tcp"), Or(listen.Address, "127.0.0.1:8150"), Null(listen.CertificateFile), Null(listen.KeyFile));
        AgentWebSocket = listen.Websocket;
        ConnectionsPerTokenPerMinute = listen.ConnectionsPerTokenPerMinute == 0 ? 40_000 : (int)Math.Min(listen.ConnectionsPerTokenPerMinute, int.MaxValue);
        MaxConnectionAge = Positive(listen.MaxConnectionAge?.ToTimeSpan(), TimeSpan.FromHours(2));
        ConfigurationPollPeriod = Positive(agent.Configuration?.PollPeriod?.ToTimeSpan(), DefaultPollPeriod);
        MaxConfigurationFileSize = agent.Configuration is { MaxConfigurationFileSize: > 0 } cf ? cf.MaxConfigurationFileSize : 128 * 1024;
        ConnectionTtl = Positive(agent.ConnectionInfoTtl?.ToTimeSpan(), TimeSpan.FromMinutes(5));
        if (agent.KubernetesApi?.Listen is { } k8s && !string.IsNullOrEmpty(k8s.Address))
        {
            KubernetesApiListener = new ListenerSettings(KasListener.KubernetesApi, Or(k8s.Network, "tcp"), k8s.Address, Null(k8s.CertificateFile), Null(k8s.KeyFile));
        }

        var api = c.Api?.Listen ?? new ListenCF();
        ApiListener = new ListenerSettings(KasListener.Api, Or(api.Network, "tcp"), Or(api.Address, "127.0.0.1:8153"), Null(api.CertificateFile), Null(api.KeyFile));
        PushSecretFile = Null(c.Api?.PushNotifications?.SecretFile);
        var obs = c.Observability?.Listen ?? new ListenCF();
        ObservabilityListener = new ListenerSettings(KasListener.Observability, Or(obs.Network, "tcp"), Or(obs.Address, "127.0.0.1:8151"), Null(obs.CertificateFile), Null(obs.KeyFile));

        var repos = c.Repositories ?? new RepositoriesCF();
        RepositoriesDirectory = Or(repos.Directory, "data/repositories");
        UrlTemplate = Null(repos.UrlTemplate);
        CacheDirectory = Or(repos.CacheDirectory, "data/cache");
        RepositoryUsername = Null(repos.Credentials?.Username);
        RepositoryPasswordFile = Null(repos.Credentials?.PasswordFile);
        RepositoryPollPeriod = Positive(repos.PollPeriod?.ToTimeSpan(), DefaultPollPeriod);
        PublicProjects = repos.Projects.Where(p => p.Public).Select(p => p.Path).ToArray();
        RegistryPath = Or(c.Registry?.Sqlite?.Path, "data/kas.db");
        MaxMessageSize = c.Limits is { MaxMessageSize: > 0 } l ? (int)Math.Min(l.MaxMessageSize, int.MaxValue) : 10 * 1024 * 1024;
    }

    public KasOptions Options { get; }

    public ListenerSettings AgentListener { get; }

    public ListenerSettings ApiListener { get; }

    public ListenerSettings ObservabilityListener { get; }

    public ListenerSettings? KubernetesApiListener { get; }

    public IEnumerable<ListenerSettings> Listeners =>
        KubernetesApiListener is null ? [AgentListener, ApiListener, ObservabilityListener] : [AgentListener, ApiListener, ObservabilityListener, KubernetesApiListener];

    /// <summary><c>agent.listen.websocket</c>: agents connect with ws:// / wss:// (a transport package serves the tunnelled gRPC).</summary>
    public bool AgentWebSocket { get; }

    public int ConnectionsPerTokenPerMinute { get; }

    public TimeSpan MaxConnectionAge { get; }

    public TimeSpan ConfigurationPollPeriod { get; }

    public uint MaxConfigurationFileSize { get; }

    public TimeSpan ConnectionTtl { get; }

    public string? PushSecretFile { get; }

    public string RepositoriesDirectory { get; }

    public string? UrlTemplate { get; }

    public string CacheDirectory { get; }

    public string? RepositoryUsername { get; }

    public string? RepositoryPasswordFile { get; }

    public TimeSpan RepositoryPollPeriod { get; }

    public IReadOnlyList<string> PublicProjects { get; }

    public string RegistryPath { get; }

    public int MaxMessageSize { get; }

    private static string Or(string? value, string fallback) => string.IsNullOrEmpty(value) ? fallback : value;

    private static string? Null(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static TimeSpan Positive(TimeSpan? value, TimeSpan fallback) => value is { } v && v > TimeSpan.Zero ? v : fallback;
}
