using System.Text;
using Gitlab.Agent.Protocol.AgentCfg;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Gitlab.Agent.Config.Tests;

public class AgentConfigurationFileTests
{
    private const string F = ".gitlab/agents/agent1/config.yaml";

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n# and another\n")]
    [InlineData("null\n")]
    [InlineData("~")]
    [InlineData("---\n")]
    [InlineData("---\n...\n")]
    [InlineData("--- # empty\n")]
    [InlineData("{}")]
    [InlineData("\n\n   \n")]
    public void Empty_file_is_an_empty_configuration(string yaml)
    {
        Assert.Equal(new ConfigurationFile(), AgentConfigurationFile.Parse(yaml, F));
        Assert.Equal(new ConfigurationFile(), AgentConfigurationFile.Parse(Encoding.UTF8.GetBytes(yaml), F));
    }

    [Fact]
    public void Seed_example_is_read()
    {
        var yaml = Yml.Lines(
            "gitops:",
            "  manifest_projects:",
            "  - id: group/manifests",
            "    default_namespace: my-ns",
            "    paths:",
            "    - glob: '/team1/app1/*.yaml'",
            "    - glob: '/team2/apps/**/*.yaml'");

        var file = AgentConfigurationFile.Parse(yaml, F);

        var project = Assert.Single(file.Gitops.ManifestProjects);
        Assert.True(project.HasId);
        Assert.Equal("group/manifests", project.Id);
        Assert.Equal("my-ns", project.DefaultNamespace);
        Assert.Equal(["/team1/app1/*.yaml", "/team2/apps/**/*.yaml"], project.Paths.Select(p => p.Glob));
        Assert.Null(file.Observability);
        Assert.Null(file.CiAccess);
    }

    [Fact]
    public void Seed_example_round_trips_through_protojson()
    {
        var yaml = Yml.Lines(
            "gitops:",
            "  manifest_projects:",
            "  - id: group/manifests",
            "    default_namespace: my-ns",
            "    paths:",
            "    - glob: '/team1/app1/*.yaml'",
            "    - glob: '/team2/apps/**/*.yaml'");
        var file = AgentConfigurationFile.Parse(yaml, F);

        // JSON is YAML 1.2: the protojson rendering must read back into the same message.
        var json = JsonFormatter.Default.Format(file);
        Assert.Equal(file, AgentConfigurationFile.Parse(json, F));
        Assert.Equal(file, ConfigurationFile.Parser.ParseJson(json));
    }

    [Fact]
    public void Full_configuration_with_every_section_is_read_and_round_trips()
    {
        var file = AgentConfigurationFile.Parse(FullConfig, F);

        Assert.Equal(2, file.Gitops.ManifestProjects.Count);
        var p0 = file.Gitops.ManifestProjects[0];
        Assert.Equal("group/manifests", p0.Id);
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.FromMinutes(90)), p0.ReconcileTimeout);
        Assert.Equal("server", p0.DryRunStrategy);
        Assert.Equal(ManifestProjectCF.PruneOneofOneofCase.Prune, p0.PruneOneofCase);
        Assert.False(p0.Prune);
        Assert.Equal(new Duration { Seconds = 1, Nanos = 500_000_000 }, p0.PruneTimeout);
        Assert.Equal("background", p0.PrunePropagationPolicy);
        Assert.Equal("adopt_if_no_inventory", p0.InventoryPolicy);
        Assert.True(p0.AllowEmptyPrune);
        Assert.True(p0.ApplyOnDecodeError);
        Assert.Equal("v1.2.3", p0.Ref.Tag);
        Assert.Equal(["**/*.yaml"], p0.Paths.Select(p => p.Glob));
        var p1 = file.Gitops.ManifestProjects[1];
        Assert.False(p1.HasId);
        Assert.Equal("main", p1.Ref.Branch);
        Assert.False(p1.AllowEmptyPrune);
        Assert.False(p1.ApplyOnDecodeError);

        Assert.Equal(log_level_enum.Debug, file.Observability.Logging.Level);
        Assert.True(file.Observability.Logging.HasGrpcLevel);
        Assert.Equal(log_level_enum.Warn, file.Observability.Logging.GrpcLevel);
        Assert.True(file.Observability.GoogleProfiler.Enabled);
        Assert.Equal("hubble-relay.kube-system.svc:80", file.Cilium.HubbleRelayAddress);

        var ciProject = Assert.Single(file.CiAccess.Projects);
        Assert.Equal("group/app", ciProject.Id);
        Assert.Equal(CiAccessAsCF.AsOneofCase.Impersonate, ciProject.AccessAs.AsCase);
        Assert.Equal("deployer", ciProject.AccessAs.Impersonate.Username);
        Assert.Equal(["ops", "devs"], ciProject.AccessAs.Impersonate.Groups);
        Assert.Equal("team", ciProject.AccessAs.Impersonate.Extra[0].Key);
        Assert.Equal(["a", "b"], ciProject.AccessAs.Impersonate.Extra[0].Val);
        Assert.Equal(["production", "review/*"], ciProject.Environments);
        Assert.Equal(CiAccessAsCF.AsOneofCase.CiJob, file.CiAccess.Groups[0].AccessAs.AsCase);
        Assert.Equal(CiAccessAsCF.AsOneofCase.Agent, file.CiAccess.Groups[1].AccessAs.AsCase);

        Assert.Equal("0 2 * * *", file.ContainerScanning.Cadence);
        Assert.Equal(["default", "apps"], file.ContainerScanning.VulnerabilityReport.Namespaces);
        Assert.Equal(["Deployment"], file.ContainerScanning.VulnerabilityReport.Filters[0].Kinds);
        Assert.Equal("500m", file.ContainerScanning.ResourceRequirements.Limits.Cpu);

        Assert.Equal(UserAccessAsCF.AsOneofCase.User, file.UserAccess.AccessAs.AsCase);
        Assert.Equal("group/app", file.UserAccess.Projects[0].Id);
        Assert.Equal("group", file.UserAccess.Groups[0].Id);

        Assert.True(file.RemoteDevelopment.Enabled);
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.FromSeconds(10)), file.RemoteDevelopment.PartialSyncInterval);
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.FromHours(1)), file.RemoteDevelopment.FullSyncInterval);
        Assert.True(file.RemoteDevelopment.NetworkPolicy.HasEnabled);
        Assert.False(file.RemoteDevelopment.NetworkPolicy.Enabled);
        Assert.Equal("https://hooks.example.com/flux", file.Flux.WebhookReceiverUrl);

        var json = JsonFormatter.Default.Format(file);
        Assert.Equal(file, AgentConfigurationFile.Parse(json, F));
    }

    [Fact]
    public void Yaml_1_2_core_schema_typing()
    {
        var yaml = Yml.Lines(
            "gitops:",
            "  manifest_projects:",
            "  - id: \"123\"",          // quoted: a string
            "    default_namespace: yes", // YAML 1.1 boolean, YAML 1.2 string
            "    prune: True",            // core schema boolean
            "    dry_run_strategy: !!str none",
            "    paths:",
            "    - glob: '007'",
            "    - glob: !!str 0x1F",
            "    - glob: on",
            "  - id: !!str 42",
            "    prune: FALSE");

        var file = AgentConfigurationFile.Parse(yaml, F);

        var p0 = file.Gitops.ManifestProjects[0];
        Assert.Equal("123", p0.Id);
        Assert.Equal("yes", p0.DefaultNamespace);
        Assert.True(p0.Prune);
        Assert.Equal(["007", "0x1F", "on"], p0.Paths.Select(p => p.Glob));
        Assert.Equal("42", file.Gitops.ManifestProjects[1].Id);
        Assert.Equal(ManifestProjectCF.PruneOneofOneofCase.Prune, file.Gitops.ManifestProjects[1].PruneOneofCase);
        Assert.False(file.Gitops.ManifestProjects[1].Prune);
    }

    [Theory]
    [InlineData("3600s", 3600, 0)]
    [InlineData("1.5s", 1, 500_000_000)]
    [InlineData("0.000000001s", 0, 1)]
    [InlineData("1h30m", 5400, 0)]
    [InlineData("20s", 20, 0)]
    [InlineData("500ms", 0, 500_000_000)]
    [InlineData("1m30.5s", 90, 500_000_000)]
    [InlineData("250us", 0, 250_000)]
    [InlineData("250µs", 0, 250_000)]
    [InlineData("7ns", 0, 7)]
    [InlineData("0", 0, 0)]
    [InlineData("0s", 0, 0)]
    [InlineData("+2h", 7200, 0)]
    public void Durations_in_protojson_and_go_syntax(string text, long seconds, int nanos)
    {
        var file = AgentConfigurationFile.Parse($"remote_development:\n  full_sync_interval: \"{text}\"\n", F);
        Assert.Equal(new Duration { Seconds = seconds, Nanos = nanos }, file.RemoteDevelopment.FullSyncInterval);
    }

    [Theory]
    [InlineData("-1.5s", -1, -500_000_000)]
    [InlineData("-1h1ns", -3600, -1)]
    [InlineData("315576000000s", 315_576_000_000, 0)]
    public void Negative_and_extreme_durations_parse(string text, long seconds, int nanos)
    {
        Assert.True(Yaml.DurationParser.TryParse(text, out var duration));
        Assert.Equal(new Duration { Seconds = seconds, Nanos = nanos }, duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("1")]
    [InlineData("1.5")]
    [InlineData("1d")]
    [InlineData("h1")]
    [InlineData("1h 30m")]
    [InlineData("--1s")]
    [InlineData(".s")]
    [InlineData("315576000001s")]
    public void Invalid_durations(string text)
    {
        var ex = Assert.Throws<ConfigurationException>(() => AgentConfigurationFile.Parse($"remote_development:\n  full_sync_interval: \"{text}\"\n", F));
        Assert.Equal($"{F}:2:23: remote_development.full_sync_interval: invalid duration \"{text}\", expected e.g. \"3600s\", \"1.5s\", \"1h30m\" or \"500ms\"", ex.Message);
    }

    [Fact]
    public void Null_leaves_fields_unset()
    {
        var yaml = Yml.Lines(
            "gitops:",
            "  manifest_projects:",
            "  - id: a",
            "    default_namespace: ~",
            "    prune: null",
            "    paths:",
            "    ref:",
            "observability:");

        var file = AgentConfigurationFile.Parse(yaml, F);

        var project = Assert.Single(file.Gitops.ManifestProjects);
        Assert.Equal(string.Empty, project.DefaultNamespace);
        Assert.Equal(ManifestProjectCF.PruneOneofOneofCase.None, project.PruneOneofCase);
        Assert.Empty(project.Paths);
        Assert.Null(project.Ref);
        Assert.Null(file.Observability);
    }

    [Fact]
    public void Aliases_are_resolved()
    {
        var yaml = Yml.Lines(
            "gitops:",
            "  manifest_projects:",
            "  - id: group/a",
            "    paths: &paths",
            "    - glob: 'apps/*.yaml'",
            "    - glob: 'infra/**/*.yaml'",
            "  - id: group/b",
            "    paths: *paths",
            "    default_namespace: &ns team-ns",
            "ci_access:",
            "  projects:",
            "  - id: group/b",
            "    default_namespace: *ns");

        var file = AgentConfigurationFile.Parse(yaml, F);

        Assert.Equal(["apps/*.yaml", "infra/**/*.yaml"], file.Gitops.ManifestProjects[1].Paths.Select(p => p.Glob));
        Assert.Equal("team-ns", file.CiAccess.Projects[0].DefaultNamespace);
    }

    [Fact]
    public void Same_manifest_project_at_different_refs_is_allowed()
    {
        var yaml = Yml.Lines(
            "gitops:",
            "  manifest_projects:",
            "  - id: group/a",
            "  - id: group/a",
            "    ref: {branch: staging}",
            "  - id: group/a",
            "    ref: {tag: v1}",
            "  - {}");

        Assert.Equal(4, AgentConfigurationFile.Parse(yaml, F).Gitops.ManifestProjects.Count);
    }

    [Fact]
    public void Limits_at_the_maximum_are_allowed()
    {
        var paths = string.Concat(Enumerable.Range(0, 100).Select(i => $"    - glob: d{i}/*.yaml\n"));
        var projects = string.Concat(Enumerable.Range(0, 500).Select(i => $"  - id: g/p{i}\n"));
        var file = AgentConfigurationFile.Parse("gitops:\n  manifest_projects:\n  - id: a\n    paths:\n" + paths + "ci_access:\n  projects:\n" + projects, F);
        Assert.Equal(100, file.Gitops.ManifestProjects[0].Paths.Count);
        Assert.Equal(500, file.CiAccess.Projects.Count);
    }

    [Fact]
    public void File_larger_than_128_KiB_is_rejected_with_both_sizes()
    {
        var yaml = "# " + new string('x', AgentConfigurationFile.MaxSize - 3) + "\n"; // exactly MaxSize bytes
        Assert.Equal(AgentConfigurationFile.MaxSize, Encoding.UTF8.GetByteCount(yaml));
        Assert.Equal(new ConfigurationFile(), AgentConfigurationFile.Parse(yaml, F));

        var tooBig = yaml + "\n";
        var expected = $"{F}: the configuration file is 131073 bytes, larger than the maximum of 131072 bytes";
        Assert.Equal(expected, Assert.Throws<ConfigurationException>(() => AgentConfigurationFile.Parse(tooBig, F)).Message);
        Assert.Equal(expected, Assert.Throws<ConfigurationException>(() => AgentConfigurationFile.Parse(Encoding.UTF8.GetBytes(tooBig), F)).Message);
    }

    [Fact]
    public void Size_is_counted_in_utf8_bytes()
    {
        // 'é' is 2 bytes in UTF-8: 65,537 characters but 131,074 bytes.
        var yaml = "# " + new string('é', 65536) + "\n";
        var ex = Assert.Throws<ConfigurationException>(() => AgentConfigurationFile.Parse(yaml, F));
        Assert.Equal($"{F}: the configuration file is 131075 bytes, larger than the maximum of 131072 bytes", ex.Message);
    }

    [Fact]
    public void Utf8_bytes_with_bom_and_invalid_utf8()
    {
        var withBom = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("flux:\n  webhook_receiver_url: http://x/é\n")).ToArray();
        Assert.Equal("http://x/é", AgentConfigurationFile.Parse(withBom, F).Flux.WebhookReceiverUrl);

        var invalid = Encoding.UTF8.GetBytes("flux: {}\n# ").Concat(new byte[] { 0xC3, 0x28 }).ToArray();
        var ex = Assert.Throws<ConfigurationException>(() => AgentConfigurationFile.Parse(invalid, F));
        Assert.Equal($"{F}: the file is not valid UTF-8", ex.Message);
    }

    [Fact]
    public void At_most_50_errors_are_kept_and_the_rest_counted()
    {
        var yaml = string.Concat(Enumerable.Range(1, 60).Select(i => $"unknown{i}: x\n"));
        var ex = Assert.Throws<ConfigurationException>(() => AgentConfigurationFile.Parse(yaml, F));
        Assert.Equal(50, ex.Errors.Count);
        Assert.Equal(10, ex.Omitted);
        Assert.Equal(50, ex.Errors.Select(e => e.Line).Distinct().Count());
        Assert.EndsWith("\n(10 more errors not shown)", ex.Message);
        Assert.StartsWith($"{F}:1:1: unknown1: unknown field \"unknown1\"", ex.Message);
    }

    [Fact]
    public void Alias_expansion_bomb_is_stopped()
    {
        // 1,000 manifest projects that each alias the same 1,000 paths: 1,000,000 values from a ~16 KB file.
        var paths = string.Join(", ", Enumerable.Range(0, 1000).Select(_ => "{glob: a}"));
        var yaml = $"gitops:\n  manifest_projects:\n  - &m {{paths: [{paths}]}}\n" + string.Concat(Enumerable.Range(0, 999).Select(_ => "  - *m\n"));
        Assert.True(yaml.Length < AgentConfigurationFile.MaxSize);

        var ex = Assert.Throws<ConfigurationException>(() => AgentConfigurationFile.Parse(yaml, F));
        Assert.Equal($"{F}: the document has more than 100000 values (are aliases expanding recursively?)", ex.Message);
    }

    [Fact]
    public void Deep_nesting_is_rejected_without_exhausting_the_stack()
    {
        // Reading stops at the first node deeper than 100 levels: YamlDotNet's flow scanner is O(depth) per token,
        // so reading on would be quadratic (60,000 levels take tens of seconds).
        var yaml = "gitops: " + new string('[', 60_000) + new string(']', 60_000) + "\n";
        var ex = Assert.Throws<ConfigurationException>(() => AgentConfigurationFile.Parse(yaml, F));
        Assert.Equal($"{F}:1:108: gitops[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: the document is nested more than 100 levels deep", ex.Message);

        var kas = Assert.Throws<ConfigurationException>(() => KasConfigurationFile.Parse("agent: " + new string('{', 200_000) + new string('}', 200_000), "kas.yaml"));
        Assert.Contains("the document is nested more than 100 levels deep", kas.Message);
    }

    [Fact]
    public void Error_record_formats_and_exposes_fields()
    {
        var ex = Assert.Throws<ConfigurationException>(() => AgentConfigurationFile.Parse("flux:\n  webhook_receiver_url: 5\n", "cfg.yaml"));
        var error = Assert.Single(ex.Errors);
        Assert.Equal(new ConfigurationError("cfg.yaml", 2, 25, "flux.webhook_receiver_url", "expected a string, got integer 5 (put it in quotes to use it as a string)"), error);
        Assert.Equal("cfg.yaml:2:25: flux.webhook_receiver_url: expected a string, got integer 5 (put it in quotes to use it as a string)", error.ToString());
        Assert.Equal("f: m", new ConfigurationError("f", 0, 0, "", "m").ToString());
        Assert.Equal("f: a.b: m", new ConfigurationError("f", 0, 0, "a.b", "m").ToString());
        Assert.Equal("f:3:4: m", new ConfigurationError("f", 3, 4, "", "m").ToString());
    }

    [Fact]
    public void ToAgentConfiguration_copies_every_section_and_sets_identity()
    {
        var file = AgentConfigurationFile.Parse(FullConfig, F);

        var config = AgentConfigurationFile.ToAgentConfiguration(file, agentId: 7, projectId: 42, projectPath: "group/config");

        Assert.Equal(7, config.AgentId);
        Assert.Equal(42, config.ProjectId);
        Assert.Equal("group/config", config.ProjectPath);
        Assert.Equal(string.Empty, config.GitlabExternalUrl);
        Assert.Equal(file.Gitops, config.Gitops);
        Assert.NotSame(file.Gitops, config.Gitops);
        Assert.Equal(file.Observability, config.Observability);
        Assert.Equal(file.Cilium, config.Cilium);
        Assert.Equal(file.CiAccess, config.CiAccess);
        Assert.Equal(file.ContainerScanning, config.ContainerScanning);
        Assert.Equal(file.UserAccess, config.UserAccess);
        Assert.Equal(file.RemoteDevelopment, config.RemoteDevelopment);
        Assert.Equal(file.Flux, config.Flux);

        var empty = AgentConfigurationFile.ToAgentConfiguration(new ConfigurationFile(), 1, 2, "p");
        Assert.Null(empty.Gitops);
        Assert.Null(empty.Flux);
    }

    [Theory]
    [InlineData("agent1", ".gitlab/agents/agent1/config.yaml")]
    [InlineData("my-agent", ".gitlab/agents/my-agent/config.yaml")]
    public void PathFor_builds_the_configuration_file_path(string name, string expected) =>
        Assert.Equal(expected, AgentConfigurationFile.PathFor(name));

    internal const string FullConfig = """
        # Every section of the agent configuration file.
        gitops:
          manifest_projects:
          - id: group/manifests
            default_namespace: apps
            paths:
            - glob: '**/*.yaml'
            reconcile_timeout: 1h30m
            dry_run_strategy: server
            prune: false
            prune_timeout: 1.5s
            prune_propagation_policy: background
            inventory_policy: adopt_if_no_inventory
            allow_empty_prune: true
            apply_on_decode_error: true
            ref:
              tag: v1.2.3
          - ref:
              branch: main
        observability:
          logging:
            level: debug
            grpc_level: warn
          google_profiler:
            enabled: true
            project_id: my-gcp-project
            credentials_file: /secrets/gcp.json
            debug_logging: false
        cilium:
          hubble_relay_address: hubble-relay.kube-system.svc:80
        ci_access:
          projects:
          - id: group/app
            default_namespace: app-ns
            access_as:
              impersonate:
                username: deployer
                groups: [ops, devs]
                uid: "1000"
                extra:
                - key: team
                  val: [a, b]
            environments: [production, "review/*"]
          groups:
          - id: group/subgroup
            access_as:
              ci_job: {}
          - id: other-group
            access_as:
              agent: {}
        container_scanning:
          cadence: '0 2 * * *'
          vulnerability_report:
            namespaces: [default, apps]
            filters:
            - namespaces: [apps]
              resources: [web]
              containers: [nginx]
              kinds: [Deployment]
          resource_requirements:
            limits: {cpu: 500m, memory: 500Mi}
            requests: {cpu: 100m, memory: 100Mi}
        user_access:
          access_as:
            user: {}
          projects:
          - id: group/app
          groups:
          - id: group
        remote_development:
          enabled: true
          dns_zone: workspaces.example.dev
          partial_sync_interval: 10s
          full_sync_interval: 1h
          gitlab_workspaces_proxy:
            namespace: gitlab-workspaces
          network_policy:
            enabled: false
        flux:
          webhook_receiver_url: https://hooks.example.com/flux
        """;
}
