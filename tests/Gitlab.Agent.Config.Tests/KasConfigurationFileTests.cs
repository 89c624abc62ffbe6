using Gitlab.Agent.Protocol.KasCfg;
using Google.Protobuf.WellKnownTypes;

namespace Gitlab.Agent.Config.Tests;

public sealed class KasConfigurationFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kascfg-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Empty_file_gets_every_default()
    {
        var path = Write("");

        var config = KasConfigurationFile.Load(path);

        var agent = config.Agent;
        Assert.Equal("tcp", agent.Listen.Network);
        Assert.Equal("127.0.0.1:8150", agent.Listen.Address);
        Assert.False(agent.Listen.Websocket);
        Assert.Equal(S(7200), agent.Listen.MaxConnectionAge);
        Assert.Equal(S(5), agent.Listen.ListenGracePeriod);
        Assert.Equal(40000u, agent.Listen.ConnectionsPerTokenPerMinute);
        Assert.Equal(S(20), agent.Configuration.PollPeriod);
        Assert.Equal(131072u, agent.Configuration.MaxConfigurationFileSize);
        Assert.Equal(S(20), agent.Gitops.PollPeriod);
        Assert.Equal(S(300), agent.Gitops.ProjectInfoCacheTtl);
        Assert.Equal(S(60), agent.Gitops.ProjectInfoCacheErrorTtl);
        Assert.Equal(5u * 1024 * 1024, agent.Gitops.MaxManifestFileSize);
        Assert.Equal(20u * 1024 * 1024, agent.Gitops.MaxTotalManifestFileSize);
        Assert.Equal(100u, agent.Gitops.MaxNumberOfPaths);
        Assert.Equal(1000u, agent.Gitops.MaxNumberOfFiles);
        Assert.Null(agent.KubernetesApi); // the proxy is off unless its section is present
        Assert.Equal(S(300), agent.InfoCacheTtl);
        Assert.Equal(S(60), agent.InfoCacheErrorTtl);
        Assert.Equal(S(300), agent.ConnectionInfoTtl);

        Assert.Equal(Path.Combine(_dir, "data", "repositories"), config.Repositories.Directory);
        Assert.Equal(string.Empty, config.Repositories.UrlTemplate);
        Assert.Equal(Path.Combine(_dir, "data", "cache"), config.Repositories.CacheDirectory);
        Assert.Equal(S(20), config.Repositories.PollPeriod);
        Assert.Equal(Path.Combine(_dir, "data", "kas.db"), config.Registry.Sqlite.Path);
        Assert.Equal("tcp", config.Api.Listen.Network);
        Assert.Equal("127.0.0.1:8153", config.Api.Listen.Address);
        Assert.Equal("127.0.0.1:8151", config.Observability.Listen.Address);
        Assert.Equal("info", config.Observability.Logging.Level);
        Assert.Equal("error", config.Observability.Logging.GrpcLevel);
        Assert.Equal(10u * 1024 * 1024, config.Limits.MaxMessageSize);
    }

    [Fact]
    public void Kubernetes_api_section_gets_defaults_and_a_normalised_prefix()
    {
        var config = KasConfigurationFile.Parse("agent:\n  kubernetes_api:\n    url_path_prefix: /k8s-proxy\n", "kas.yaml");
        KasConfigurationFile.ApplyDefaults(config);

        var api = config.Agent.KubernetesApi;
        Assert.Equal("/k8s-proxy/", api.UrlPathPrefix);
        Assert.Equal("0.0.0.0:8154", api.Listen.Address);
        Assert.Equal("tcp", api.Listen.Network);
        Assert.Equal(S(60), api.AllowedAgentCacheTtl);
        Assert.Equal(S(10), api.AllowedAgentCacheErrorTtl);
        Assert.Empty(KasConfigurationFile.Validate(config));

        var empty = KasConfigurationFile.Parse("agent:\n  kubernetes_api: {}\n", "kas.yaml");
        KasConfigurationFile.ApplyDefaults(empty);
        Assert.Equal("/", empty.Agent.KubernetesApi.UrlPathPrefix);
    }

    [Fact]
    public void Configured_values_are_kept_and_relative_paths_resolved()
    {
        var path = Write("""
            agent:
              listen:
                address: 0.0.0.0:9150
                websocket: true
                grpc_address: 127.0.0.1:9160
                certificate_file: tls/agent.crt
                key_file: /etc/kas/agent.key
                connections_per_token_per_minute: 0x1F
                max_connection_age: 30m
              configuration:
                poll_period: 5m
                max_configuration_file_size: 1e5
              gitops:
                poll_period: 1.5s
                manifest_project_grants:
                - project: group/manifests
                  config_projects: ["*"]
              info_cache_ttl: 10s
            repositories:
              url_template: "git://127.0.0.1:9418/{project}.git"
              credentials:
                username: kas
                password_file: secrets/git-password
              cache_directory: /var/cache/kas
              projects:
              - path: group/manifests
                public: true
            registry:
              postgres:
                connection_string_file: secrets/pg
            api:
              listen:
                address: "[::1]:9153"
              push_notifications:
                secret_file: secrets/push
            observability:
              listen:
                network: unix
                address: /run/kas-metrics.sock
              logging:
                level: debug
            limits:
              max_message_size: 1048576
            """);

        var config = KasConfigurationFile.Load(path);

        Assert.Equal("0.0.0.0:9150", config.Agent.Listen.Address);
        Assert.True(config.Agent.Listen.Websocket);
        Assert.Equal(Path.Combine(_dir, "tls", "agent.crt"), config.Agent.Listen.CertificateFile);
        Assert.Equal("/etc/kas/agent.key", config.Agent.Listen.KeyFile);
        Assert.Equal(31u, config.Agent.Listen.ConnectionsPerTokenPerMinute);
        Assert.Equal(S(1800), config.Agent.Listen.MaxConnectionAge);
        Assert.Equal(S(300), config.Agent.Configuration.PollPeriod);
        Assert.Equal(100000u, config.Agent.Configuration.MaxConfigurationFileSize);
        Assert.Equal(new Duration { Seconds = 1, Nanos = 500_000_000 }, config.Agent.Gitops.PollPeriod);
        Assert.Equal(["*"], config.Agent.Gitops.ManifestProjectGrants[0].ConfigProjects);
        Assert.Equal(S(10), config.Agent.InfoCacheTtl);
        Assert.Equal(string.Empty, config.Repositories.Directory); // url_template replaces the directory
        Assert.Equal(Path.Combine(_dir, "secrets", "git-password"), config.Repositories.Credentials.PasswordFile);
        Assert.Equal("/var/cache/kas", config.Repositories.CacheDirectory);
        Assert.True(config.Repositories.Projects[0].Public);
        Assert.Equal(Path.Combine(_dir, "secrets", "pg"), config.Registry.Postgres.ConnectionStringFile);
        Assert.Equal("[::1]:9153", config.Api.Listen.Address);
        Assert.Equal(Path.Combine(_dir, "secrets", "push"), config.Api.PushNotifications.SecretFile);
        Assert.Equal("unix", config.Observability.Listen.Network);
        Assert.Equal("debug", config.Observability.Logging.Level);
        Assert.Equal(1048576u, config.Limits.MaxMessageSize);
    }

    [Fact]
    public void ApplyDefaults_is_idempotent()
    {
        var config = KasConfigurationFile.Parse("agent:\n  kubernetes_api: {url_path_prefix: /x}\n", "kas.yaml");
        KasConfigurationFile.ApplyDefaults(config, _dir);
        var once = config.Clone();
        KasConfigurationFile.ApplyDefaults(config, _dir);
        Assert.Equal(once, config);
    }

    [Fact]
    public void ApplyDefaults_without_base_directory_leaves_paths_relative()
    {
        var config = new ConfigurationFile();
        KasConfigurationFile.ApplyDefaults(config);
        Assert.Equal("data/repositories", config.Repositories.Directory);
        Assert.Equal("data/kas.db", config.Registry.Sqlite.Path);
    }

    public static TheoryData<string, string, string> InvalidCases => new()
    {
        {
            "TLS certificate without key",
            "agent:\n  listen:\n    certificate_file: a.crt\n",
            "{F}:3:5: agent.listen: certificate_file is set but key_file is not; TLS needs both"
        },
        {
            "TLS key without certificate on every listener",
            "api:\n  listen: {key_file: k}\nobservability:\n  listen: {key_file: k}\nagent:\n  kubernetes_api:\n    listen: {key_file: k}\n",
            "{F}:2:11: api.listen: key_file is set but certificate_file is not; TLS needs both\n" +
            "{F}:4:11: observability.listen: key_file is set but certificate_file is not; TLS needs both\n" +
            "{F}:7:13: agent.kubernetes_api.listen: key_file is set but certificate_file is not; TLS needs both"
        },
        {
            "address without port",
            "api:\n  listen:\n    address: localhost\n",
            "{F}:3:14: api.listen.address: must be host:port (e.g. 127.0.0.1:8150, [::1]:8150 or :8150), got \"localhost\""
        },
        {
            "port out of range and bad IPv6",
            "agent:\n  listen:\n    address: 127.0.0.1:70000\nobservability:\n  listen:\n    address: ::1:8151\n",
            "{F}:3:14: agent.listen.address: must be host:port (e.g. 127.0.0.1:8150, [::1]:8150 or :8150), got \"127.0.0.1:70000\"\n" +
            "{F}:6:14: observability.listen.address: must be host:port (e.g. 127.0.0.1:8150, [::1]:8150 or :8150), got \"::1:8151\""
        },
        {
            "unknown network",
            "api:\n  listen:\n    network: udp\n",
            "{F}:3:14: api.listen.network: must be \"tcp\" or \"unix\", got \"udp\""
        },
        {
            "two listeners on one address",
            "api:\n  listen:\n    address: 127.0.0.1:8150\n",
            "{F}:3:5: api.listen: 127.0.0.1:8150 is already used by agent.listen"
        },
        {
            "grpc_address without websocket",
            "agent:\n  listen:\n    grpc_address: 127.0.0.1:9000\n",
            "{F}:3:19: agent.listen.grpc_address: is only used when websocket is true"
        },
        {
            "directory and url_template together",
            "repositories:\n  directory: /srv/git\n  url_template: https://git.example.com/{project}.git\n",
            "{F}:3:17: repositories.url_template: directory and url_template are alternatives; set only one of them"
        },
        {
            "url_template without {project}",
            "repositories:\n  url_template: https://git.example.com/repo.git\n",
            "{F}:2:17: repositories.url_template: must contain \"{project}\" (replaced by the project path), got \"https://git.example.com/repo.git\""
        },
        {
            "zero poll periods",
            "agent:\n  configuration:\n    poll_period: 0s\n  gitops:\n    poll_period: '0'\nrepositories:\n  poll_period: -5s\n",
            "{F}:3:18: agent.configuration.poll_period: must be greater than 0\n" +
            "{F}:5:18: agent.gitops.poll_period: must be greater than 0\n" +
            "{F}:7:16: repositories.poll_period: must be greater than 0"
        },
        {
            "log levels",
            "observability:\n  logging:\n    level: verbose\n    grpc_level: Info\n",
            "{F}:3:12: observability.logging.level: invalid log level \"verbose\", expected one of: debug, info, warn, error\n" +
            "{F}:4:17: observability.logging.grpc_level: invalid log level \"Info\", expected one of: debug, info, warn, error"
        },
        {
            "registry store without path",
            "registry:\n  postgres: {}\n",
            "{F}:2:13: registry.postgres.connection_string_file: must not be empty"
        },
        {
            "two registry stores",
            "registry:\n  sqlite: {path: a.db}\n  postgres: {connection_string_file: pg}\n",
            "{F}:3:3: registry.postgres: \"sqlite\" and \"postgres\" are both set, but only one of sqlite, postgres is allowed"
        },
        {
            "grants and projects",
            "agent:\n  gitops:\n    manifest_project_grants:\n    - project: ''\n      config_projects: []\nrepositories:\n  projects:\n  - path: a/b\n  - path: a/b\n",
            "{F}:4:16: agent.gitops.manifest_project_grants[0].project: must not be empty\n" +
            "{F}:5:24: agent.gitops.manifest_project_grants[0].config_projects: must list at least one configuration project (\"*\" for any)\n" +
            "{F}:9:11: repositories.projects[1].path: duplicate project \"a/b\", already listed as repositories.projects[0]"
        },
        {
            "url_path_prefix and message size",
            "agent:\n  kubernetes_api:\n    url_path_prefix: k8s\nlimits:\n  max_message_size: 100\n",
            "{F}:3:22: agent.kubernetes_api.url_path_prefix: must start with \"/\", got \"k8s/\"\n" +
            "{F}:5:21: limits.max_message_size: must be at least 4096 bytes, got 100"
        },
        {
            "credentials without username",
            "repositories:\n  credentials:\n    password_file: /p\n",
            "{F}:3:5: repositories.credentials.username: must be set when password_file is set"
        },
        {
            "schema errors come from the reader",
            "agent:\n  listen:\n    port: 8150\nlimits:\n  max_message_size: -1\napi:\n  listen:\n    address: 8153\n",
            "{F}:3:5: agent.listen.port: unknown field \"port\", expected one of: network, address, websocket, certificate_file, key_file, connections_per_token_per_minute, max_connection_age, listen_grace_period, grpc_address\n" +
            "{F}:5:21: limits.max_message_size: -1 is out of range for uint32 (0 to 4294967295)\n" +
            "{F}:8:14: api.listen.address: expected a string, got integer 8153 (put it in quotes to use it as a string)"
        },
        {
            "integers: quoted 32-bit, fractions, floats",
            "agent:\n  listen:\n    connections_per_token_per_minute: \"100\"\n  configuration:\n    max_configuration_file_size: 1.5\n  gitops:\n    max_number_of_files: .inf\n",
            "{F}:3:39: agent.listen.connections_per_token_per_minute: expected an integer, got string \"100\"\n" +
            "{F}:5:34: agent.configuration.max_configuration_file_size: expected an integer, got float 1.5\n" +
            "{F}:7:26: agent.gitops.max_number_of_files: expected an integer, got float .inf"
        },
    };

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void Invalid_configuration_is_reported_with_positions(string name, string yaml, string expected)
    {
        var path = Write(yaml);
        var ex = Assert.Throws<ConfigurationException>(() => KasConfigurationFile.Load(path));
        var want = expected.Replace("{F}", path, StringComparison.Ordinal);
        Assert.True(want == ex.Message, $"{name}\nexpected:\n{want}\nactual:\n{ex.Message}");
    }

    [Fact]
    public void Validate_lists_problems_by_key()
    {
        var config = new ConfigurationFile
        {
            Agent = new AgentCF { Listen = new AgentListenCF { Address = "nope", CertificateFile = "c" } },
            Observability = new ObservabilityCF { Logging = new LoggingCF { Level = "trace" } },
        };

        Assert.Equal(
            [
                "agent.listen: certificate_file is set but key_file is not; TLS needs both",
                "agent.listen.address: must be host:port (e.g. 127.0.0.1:8150, [::1]:8150 or :8150), got \"nope\"",
                "repositories: one of directory or url_template must be set",
                "registry: a store must be configured: sqlite or postgres",
                "observability.logging.level: invalid log level \"trace\", expected one of: debug, info, warn, error",
            ],
            KasConfigurationFile.Validate(config));
    }

    [Fact]
    public void Defaults_are_valid()
    {
        var config = new ConfigurationFile();
        KasConfigurationFile.ApplyDefaults(config, _dir);
        Assert.Empty(KasConfigurationFile.Validate(config));
    }

    [Theory]
    [InlineData("127.0.0.1:8150", true)]
    [InlineData(":8150", true)]
    [InlineData("0.0.0.0:0", true)]
    [InlineData("[::1]:8150", true)]
    [InlineData("[::]:1", true)]
    [InlineData("kas.example.com:443", true)]
    [InlineData("localhost:65535", true)]
    [InlineData("localhost:65536", false)]
    [InlineData("localhost", false)]
    [InlineData("::1:8150", false)]
    [InlineData("[127.0.0.1]:80", false)]
    [InlineData("host:-1", false)]
    [InlineData("host:", false)]
    [InlineData("bad host:80", false)]
    public void Host_port_parsing(string address, bool valid) =>
        Assert.Equal(valid, KasConfigurationValidator.TryParseHostPort(address, out _, out _));

    [Fact]
    public void Missing_file_is_a_configuration_error()
    {
        var path = Path.Combine(_dir, "missing.yaml");
        var ex = Assert.Throws<ConfigurationException>(() => KasConfigurationFile.Load(path));
        Assert.StartsWith($"{path}: cannot read the configuration file: ", ex.Message);
    }

    [Fact]
    public void Parse_does_not_apply_defaults()
    {
        var config = KasConfigurationFile.Parse("api:\n  listen:\n    address: 127.0.0.1:1\n", "kas.yaml");
        Assert.Null(config.Agent);
        Assert.Equal(string.Empty, config.Api.Listen.Network);
        var ex = Assert.Throws<ConfigurationException>(() => KasConfigurationFile.Parse("api: 1\n", "kas.yaml"));
        Assert.Equal("kas.yaml:1:6: api: expected a mapping, got integer 1", ex.Message);
    }

    private string Write(string yaml)
    {
        var path = Path.Combine(_dir, $"kas-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static Duration S(long seconds) => new() { Seconds = seconds };
}
