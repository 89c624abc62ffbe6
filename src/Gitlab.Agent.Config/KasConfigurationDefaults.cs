using Gitlab.Agent.Protocol.KasCfg;
using Google.Protobuf.WellKnownTypes;

namespace Gitlab.Agent.Config;

/// <summary>Default values of the kas configuration (documented in docs/configuration.md).</summary>
internal static class KasConfigurationDefaults
{
    public const string AgentListenAddress = "127.0.0.1:8150";
    public const string ObservabilityListenAddress = "127.0.0.1:8151";
    public const string ApiListenAddress = "127.0.0.1:8153";
    public const string KubernetesApiListenAddress = "0.0.0.0:8154";
    public const uint ConnectionsPerTokenPerMinute = 40_000;
    public const uint MaxConfigurationFileSize = 128 * 1024;
    public const uint MaxManifestFileSize = 5 * 1024 * 1024;
    public const uint MaxTotalManifestFileSize = 20 * 1024 * 1024;
    public const uint MaxNumberOfPaths = 100;
    public const uint MaxNumberOfFiles = 1000;
    public const uint MaxMessageSize = 10 * 1024 * 1024;
    public const string RepositoriesDirectory = "data/repositories";
    public const string CacheDirectory = "data/cache";
    public const string SqlitePath = "data/kas.db";
    public const string LogLevel = "info";
    public const string GrpcLogLevel = "error";

    public static void Apply(ConfigurationFile config, string? baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(config);

        var agent = config.Agent ??= new AgentCF();
        var listen = agent.Listen ??= new AgentListenCF();
        listen.Network = Or(listen.Network, "tcp");
        listen.Address = Or(listen.Address, AgentListenAddress);
        listen.MaxConnectionAge ??= Seconds(7200);
        listen.ListenGracePeriod ??= Seconds(5);
        listen.ConnectionsPerTokenPerMinute = Or(listen.ConnectionsPerTokenPerMinute, ConnectionsPerTokenPerMinute);
        listen.CertificateFile = Resolve(listen.CertificateFile, baseDirectory);
        listen.KeyFile = Resolve(listen.KeyFile, baseDirectory);

        var configuration = agent.Configuration ??= new AgentConfigurationCF();
        configuration.PollPeriod ??= Seconds(20);
        configuration.MaxConfigurationFileSize = Or(configuration.MaxConfigurationFileSize, MaxConfigurationFileSize);

        var gitops = agent.Gitops ??= new GitopsCF();
        gitops.PollPeriod ??= Seconds(20);
        gitops.ProjectInfoCacheTtl ??= Seconds(300);
        gitops.ProjectInfoCacheErrorTtl ??= Seconds(60);
        gitops.MaxManifestFileSize = Or(gitops.MaxManifestFileSize, MaxManifestFileSize);
        gitops.MaxTotalManifestFileSize = Or(gitops.MaxTotalManifestFileSize, MaxTotalManifestFileSize);
        gitops.MaxNumberOfPaths = Or(gitops.MaxNumberOfPaths, MaxNumberOfPaths);
        gitops.MaxNumberOfFiles = Or(gitops.MaxNumberOfFiles, MaxNumberOfFiles);

        // The Kubernetes API proxy is enabled by the presence of its section.
        if (agent.KubernetesApi is { } kubernetesApi)
        {
            ApplyListen(kubernetesApi.Listen ??= new ListenCF(), KubernetesApiListenAddress, baseDirectory);
            var prefix = Or(kubernetesApi.UrlPathPrefix, "/");
            kubernetesApi.UrlPathPrefix = prefix.EndsWith('/') ? prefix : prefix + "/";
            kubernetesApi.AllowedAgentCacheTtl ??= Seconds(60);
            kubernetesApi.AllowedAgentCacheErrorTtl ??= Seconds(10);
        }

        agent.InfoCacheTtl ??= Seconds(300);
        agent.InfoCacheErrorTtl ??= Seconds(60);
        agent.ConnectionInfoTtl ??= Seconds(300);

        var repositories = config.Repositories ??= new RepositoriesCF();
        if (repositories.UrlTemplate.Length == 0)
        {
            repositories.Directory = Or(repositories.Directory, RepositoriesDirectory);
        }

        repositories.Directory = Resolve(repositories.Directory, baseDirectory);
        repositories.CacheDirectory = Resolve(Or(repositories.CacheDirectory, CacheDirectory), baseDirectory);
        repositories.PollPeriod ??= Seconds(20);
        if (repositories.Credentials is { } credentials)
        {
            credentials.PasswordFile = Resolve(credentials.PasswordFile, baseDirectory);
        }

        var registry = config.Registry ??= new RegistryCF();
        switch (registry.StoreCase)
        {
            case RegistryCF.StoreOneofCase.None:
                registry.Sqlite = new SqliteCF { Path = Resolve(SqlitePath, baseDirectory) };
                break;
            case RegistryCF.StoreOneofCase.Sqlite:
                registry.Sqlite.Path = Resolve(Or(registry.Sqlite.Path, SqlitePath), baseDirectory);
                break;
            case RegistryCF.StoreOneofCase.Postgres:
                registry.Postgres.ConnectionStringFile = Resolve(registry.Postgres.ConnectionStringFile, baseDirectory);
                break;
        }

        var api = config.Api ??= new ApiCF();
        ApplyListen(api.Listen ??= new ListenCF(), ApiListenAddress, baseDirectory);
        if (api.PushNotifications is { } push)
        {
            push.SecretFile = Resolve(push.SecretFile, baseDirectory);
        }

        var observability = config.Observability ??= new ObservabilityCF();
        ApplyListen(observability.Listen ??= new ListenCF(), ObservabilityListenAddress, baseDirectory);
        var logging = observability.Logging ??= new LoggingCF();
        logging.Level = Or(logging.Level, LogLevel);
        logging.GrpcLevel = Or(logging.GrpcLevel, GrpcLogLevel);

        var limits = config.Limits ??= new LimitsCF();
        limits.MaxMessageSize = Or(limits.MaxMessageSize, MaxMessageSize);
    }

    private static void ApplyListen(ListenCF listen, string address, string? baseDirectory)
    {
        listen.Network = Or(listen.Network, "tcp");
        listen.Address = Or(listen.Address, address);
        listen.CertificateFile = Resolve(listen.CertificateFile, baseDirectory);
        listen.KeyFile = Resolve(listen.KeyFile, baseDirectory);
    }

    private static Duration Seconds(long seconds) => new() { Seconds = seconds };

    private static string Or(string value, string fallback) => value.Length == 0 ? fallback : value;

    private static uint Or(uint value, uint fallback) => value == 0 ? fallback : value;

    private static string Resolve(string path, string? baseDirectory) =>
        path.Length == 0 || baseDirectory is null || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(baseDirectory, path));
}
