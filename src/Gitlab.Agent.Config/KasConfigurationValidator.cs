using System.Globalization;
using System.Net;
using Gitlab.Agent.Protocol.KasCfg;
using Google.Protobuf.WellKnownTypes;

namespace Gitlab.Agent.Config;

/// <summary>Checks of a kas configuration; each problem names the key (<c>agent.listen.address</c>).</summary>
internal static class KasConfigurationValidator
{
    internal static readonly string[] LogLevels = ["debug", "info", "warn", "error"];

    public static List<(string Path, string Message)> Validate(ConfigurationFile config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = new List<(string Path, string Message)>();
        void Error(string path, string message) => errors.Add((path, message));

        var listeners = new List<(string Path, string Network, string Address)>();

        if (config.Agent is { } agent)
        {
            if (agent.Listen is { } listen)
            {
                CheckListen("agent.listen", listen.Network, listen.Address, listen.CertificateFile, listen.KeyFile, listeners, Error);
                if (listen.GrpcAddress.Length > 0)
                {
                    if (!listen.Websocket)
                    {
                        Error("agent.listen.grpc_address", "is only used when websocket is true");
                    }

                    CheckTcpAddress("agent.listen.grpc_address", listen.GrpcAddress, Error);
                    listeners.Add(("agent.listen.grpc_address", "tcp", listen.GrpcAddress));
                }

                PositiveDuration("agent.listen.max_connection_age", listen.MaxConnectionAge, Error);
                NotNegative("agent.listen.listen_grace_period", listen.ListenGracePeriod, Error);
            }

            if (agent.Configuration is { } configuration)
            {
                PositiveDuration("agent.configuration.poll_period", configuration.PollPeriod, Error);
            }

            if (agent.Gitops is { } gitops)
            {
                PositiveDuration("agent.gitops.poll_period", gitops.PollPeriod, Error);
                PositiveDuration("agent.gitops.project_info_cache_ttl", gitops.ProjectInfoCacheTtl, Error);
                PositiveDuration("agent.gitops.project_info_cache_error_ttl", gitops.ProjectInfoCacheErrorTtl, Error);
                for (var i = 0; i < gitops.ManifestProjectGrants.Count; i++)
                {
                    var grant = gitops.ManifestProjectGrants[i];
                    var path = $"agent.gitops.manifest_project_grants[{i}]";
                    if (grant.Project.Length == 0)
                    {
                        Error($"{path}.project", "must not be empty");
                    }

                    if (grant.ConfigProjects.Count == 0)
                    {
                        Error($"{path}.config_projects", "must list at least one configuration project (\"*\" for any)");
                    }

                    for (var k = 0; k < grant.ConfigProjects.Count; k++)
                    {
                        if (grant.ConfigProjects[k].Length == 0)
                        {
                            Error($"{path}.config_projects[{k}]", "must not be empty");
                        }
                    }
                }
            }

            if (agent.KubernetesApi is { } kubernetesApi)
            {
                if (kubernetesApi.Listen is { } l)
                {
                    CheckListen("agent.kubernetes_api.listen", l.Network, l.Address, l.CertificateFile, l.KeyFile, listeners, Error);
                }

                if (!kubernetesApi.UrlPathPrefix.StartsWith('/'))
                {
                    Error("agent.kubernetes_api.url_path_prefix", $"must start with \"/\", got \"{kubernetesApi.UrlPathPrefix}\"");
                }

                PositiveDuration("agent.kubernetes_api.allowed_agent_cache_ttl", kubernetesApi.AllowedAgentCacheTtl, Error);
                PositiveDuration("agent.kubernetes_api.allowed_agent_cache_error_ttl", kubernetesApi.AllowedAgentCacheErrorTtl, Error);
            }

            PositiveDuration("agent.info_cache_ttl", agent.InfoCacheTtl, Error);
            PositiveDuration("agent.info_cache_error_ttl", agent.InfoCacheErrorTtl, Error);
            PositiveDuration("agent.connection_info_ttl", agent.ConnectionInfoTtl, Error);
        }

        ValidateRepositories(config.Repositories, Error);

        switch (config.Registry?.StoreCase ?? RegistryCF.StoreOneofCase.None)
        {
            case RegistryCF.StoreOneofCase.None:
                Error("registry", "a store must be configured: sqlite or postgres");
                break;
            case RegistryCF.StoreOneofCase.Sqlite when config.Registry!.Sqlite.Path.Length == 0:
                Error("registry.sqlite.path", "must not be empty");
                break;
            case RegistryCF.StoreOneofCase.Postgres when config.Registry!.Postgres.ConnectionStringFile.Length == 0:
                Error("registry.postgres.connection_string_file", "must not be empty");
                break;
        }

        if (config.Api?.Listen is { } apiListen)
        {
            CheckListen("api.listen", apiListen.Network, apiListen.Address, apiListen.CertificateFile, apiListen.KeyFile, listeners, Error);
        }

        if (config.Observability is { } observability)
        {
            if (observability.Listen is { } l)
            {
                CheckListen("observability.listen", l.Network, l.Address, l.CertificateFile, l.KeyFile, listeners, Error);
            }

            if (observability.Logging is { } logging)
            {
                LogLevel("observability.logging.level", logging.Level, Error);
                LogLevel("observability.logging.grpc_level", logging.GrpcLevel, Error);
            }
        }

        if (config.Limits is { } limits && limits.MaxMessageSize is > 0 and < 4096)
        {
            Error("limits.max_message_size", $"must be at least 4096 bytes, got {limits.MaxMessageSize}");
        }

        CheckDistinctAddresses(listeners, Error);
        return errors;
    }

    private static void ValidateRepositories(RepositoriesCF? repositories, Action<string, string> error)
    {
        if (repositories is null || (repositories.Directory.Length == 0 && repositories.UrlTemplate.Length == 0))
        {
            error("repositories", "one of directory or url_template must be set");
            return;
        }

        if (repositories.Directory.Length > 0 && repositories.UrlTemplate.Length > 0)
        {
            error("repositories.url_template", "directory and url_template are alternatives; set only one of them");
        }

        if (repositories.UrlTemplate.Length > 0 && !repositories.UrlTemplate.Contains("{project}", StringComparison.Ordinal))
        {
            error("repositories.url_template", $"must contain \"{{project}}\" (replaced by the project path), got \"{repositories.UrlTemplate}\"");
        }

        if (repositories.Credentials is { } credentials && credentials.PasswordFile.Length > 0 && credentials.Username.Length == 0)
        {
            error("repositories.credentials.username", "must be set when password_file is set");
        }

        PositiveDuration("repositories.poll_period", repositories.PollPeriod, error);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < repositories.Projects.Count; i++)
        {
            var project = repositories.Projects[i].Path;
            if (project.Length == 0)
            {
                error($"repositories.projects[{i}].path", "must not be empty");
            }
            else if (!seen.TryAdd(project, i))
            {
                error($"repositories.projects[{i}].path", $"duplicate project \"{project}\", already listed as repositories.projects[{seen[project]}]");
            }
        }
    }

    private static void CheckListen(string path, string network, string address, string certificateFile, string keyFile,
        List<(string, string, string)> listeners, Action<string, string> error)
    {
        if (certificateFile.Length > 0 && keyFile.Length == 0)
        {
            error(path, "certificate_file is set but key_file is not; TLS needs both");
        }
        else if (keyFile.Length > 0 && certificateFile.Length == 0)
        {
            error(path, "key_file is set but certificate_file is not; TLS needs both");
        }

        switch (network)
        {
            case "" or "tcp":
                CheckTcpAddress($"{path}.address", address, error);
                break;
            case "unix":
                if (address.Length == 0)
                {
                    error($"{path}.address", "must be a socket path for network \"unix\"");
                }

                break;
            default:
                error($"{path}.network", $"must be \"tcp\" or \"unix\", got \"{network}\"");
                return;
        }

        listeners.Add((path, network.Length == 0 ? "tcp" : network, address));
    }

    private static void CheckTcpAddress(string path, string address, Action<string, string> error)
    {
        if (!TryParseHostPort(address, out _, out _))
        {
            error(path, $"must be host:port (e.g. 127.0.0.1:8150, [::1]:8150 or :8150), got \"{address}\"");
        }
    }

    /// <summary>Parses <c>host:port</c>, <c>[ipv6]:port</c> or <c>:port</c> (all interfaces); port 0–65535.</summary>
    internal static bool TryParseHostPort(string address, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        var colon = address.LastIndexOf(':');
        if (colon < 0)
        {
            return false;
        }

        host = address[..colon];
        if (!int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
        {
            return false;
        }

        if (host.StartsWith('['))
        {
            return host.EndsWith(']') && IPAddress.TryParse(host[1..^1], out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        }

        return host.Length == 0 || IPAddress.TryParse(host, out _) && !host.Contains(':', StringComparison.Ordinal) || Uri.CheckHostName(host) == UriHostNameType.Dns;
    }

    private static void CheckDistinctAddresses(List<(string Path, string Network, string Address)> listeners, Action<string, string> error)
    {
        for (var i = 0; i < listeners.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                var (path, network, address) = listeners[i];
                var other = listeners[j];
                var sameTcpPort = network == "tcp" && TryParseHostPort(address, out _, out var port) && port != 0;
                if (network == other.Network && address == other.Address && (network == "unix" || sameTcpPort))
                {
                    error(path, $"{address} is already used by {other.Path}");
                }
            }
        }
    }

    private static void LogLevel(string path, string level, Action<string, string> error)
    {
        if (level.Length > 0 && !LogLevels.Contains(level, StringComparer.Ordinal))
        {
            error(path, $"invalid log level \"{level}\", expected one of: {string.Join(", ", LogLevels)}");
        }
    }

    private static void PositiveDuration(string path, Duration? duration, Action<string, string> error)
    {
        if (duration is not null && (duration.Seconds < 0 || duration.Nanos < 0 || (duration.Seconds == 0 && duration.Nanos == 0)))
        {
            error(path, "must be greater than 0");
        }
    }

    private static void NotNegative(string path, Duration? duration, Action<string, string> error)
    {
        if (duration is not null && (duration.Seconds < 0 || duration.Nanos < 0))
        {
            error(path, "must not be negative");
        }
    }
}
