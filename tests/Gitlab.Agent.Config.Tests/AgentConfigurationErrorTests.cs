namespace Gitlab.Agent.Config.Tests;

/// <summary>Invalid agent configuration files and the exact error text each one produces.</summary>
public class AgentConfigurationErrorTests
{
    private const string F = ".gitlab/agents/agent1/config.yaml";

    private const string TopKeys = "gitops, observability, cilium, ci_access, container_scanning, user_access, remote_development, flux";

    public static TheoryData<string, string, string> Cases => new()
    {
        // ---- reader: unknown keys, types, duplicates, oneofs ----
        {
            "unknown top-level key",
            Yml.Lines("gitops:", "  manifest_projects: []", "foo: 1"),
            $"{F}:3:1: foo: unknown field \"foo\", expected one of: {TopKeys}"
        },
        {
            "unknown nested key",
            Yml.Lines("gitops:", "  manifest_project:", "  - id: a"),
            $"{F}:2:3: gitops.manifest_project: unknown field \"manifest_project\", expected one of: manifest_projects"
        },
        {
            "reserved gitops.charts is unknown",
            Yml.Lines("gitops:", "  charts: []"),
            $"{F}:2:3: gitops.charts: unknown field \"charts\", expected one of: manifest_projects"
        },
        {
            "key in an empty message",
            Yml.Lines("ci_access:", "  projects:", "  - id: g/p", "    access_as:", "      agent:", "        x: 1"),
            $"{F}:6:9: ci_access.projects[0].access_as.agent.x: unknown field \"x\", this mapping must be empty ({{}})"
        },
        {
            "plain integer for a string field (protojson: numbers are not strings)",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: 123"),
            $"{F}:3:9: gitops.manifest_projects[0].id: expected a string, got integer 123 (put it in quotes to use it as a string)"
        },
        {
            ".inf is a float, not a string",
            Yml.Lines("flux:", "  webhook_receiver_url: .inf"),
            $"{F}:2:25: flux.webhook_receiver_url: expected a string, got float .inf (put it in quotes to use it as a string)"
        },
        {
            "true is a boolean, not a string",
            Yml.Lines("cilium:", "  hubble_relay_address: true"),
            $"{F}:2:25: cilium.hubble_relay_address: expected a string, got boolean true (put it in quotes to use it as a string)"
        },
        {
            "yes is a string in YAML 1.2, not a boolean",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: a", "    prune: yes"),
            $"{F}:4:12: gitops.manifest_projects[0].prune: expected a boolean (true or false), got string \"yes\""
        },
        {
            "unknown key in a manifest project lists every key, our extensions included",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: a", "    foo: 1"),
            $"{F}:4:5: gitops.manifest_projects[0].foo: unknown field \"foo\", expected one of: id, resource_inclusions, resource_exclusions, default_namespace, paths, reconcile_timeout, dry_run_strategy, prune, prune_timeout, prune_propagation_policy, inventory_policy, ref, allow_empty_prune, apply_on_decode_error"
        },
        {
            "apply_on_decode_error is a boolean",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: a", "    apply_on_decode_error: \"true\""),
            $"{F}:4:28: gitops.manifest_projects[0].apply_on_decode_error: expected a boolean (true or false), got string \"true\""
        },
        {
            "quoted true is a string",
            Yml.Lines("remote_development:", "  enabled: \"true\""),
            $"{F}:2:12: remote_development.enabled: expected a boolean (true or false), got string \"true\""
        },
        {
            "mapping expected",
            Yml.Lines("gitops: [1]"),
            $"{F}:1:9: gitops: expected a mapping, got a list"
        },
        {
            "list expected",
            Yml.Lines("gitops:", "  manifest_projects: abc"),
            $"{F}:2:22: gitops.manifest_projects: expected a list, got string \"abc\""
        },
        {
            "scalar expected",
            Yml.Lines("flux:", "  webhook_receiver_url: {a: b}"),
            $"{F}:2:25: flux.webhook_receiver_url: expected a string, got a mapping"
        },
        {
            "null list item",
            Yml.Lines("gitops:", "  manifest_projects:", "  -", "  - id: a"),
            $"{F}:3:4: gitops.manifest_projects[0]: null is not allowed in a list"
        },
        {
            "top level is not a mapping",
            Yml.Lines("- gitops"),
            $"{F}:1:1: the top level must be a mapping of keys (one of: {TopKeys}), got a list"
        },
        {
            "enum name unknown",
            Yml.Lines("observability:", "  logging:", "    level: verbose"),
            $"{F}:3:12: observability.logging.level: invalid value \"verbose\", expected one of: info, debug, warn, error"
        },
        {
            "enum given as a number",
            Yml.Lines("observability:", "  logging:", "    grpc_level: 1"),
            $"{F}:3:17: observability.logging.grpc_level: expected one of: info, debug, warn, error, got integer 1"
        },
        {
            "duplicate key",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: a", "    default_namespace: x", "    default_namespace: y"),
            $"{F}:5:5: gitops.manifest_projects[0].default_namespace: duplicate key \"default_namespace\" (first set at line 4, column 5)"
        },
        {
            "duplicate top-level key",
            Yml.Lines("flux: {}", "gitops: {}", "flux: {}"),
            $"{F}:3:1: flux: duplicate key \"flux\" (first set at line 1, column 1)"
        },
        {
            "two members of the ref oneof",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: a", "    ref:", "      tag: v1", "      branch: main"),
            $"{F}:6:7: gitops.manifest_projects[0].ref.branch: \"tag\" and \"branch\" are both set, but only one of tag, branch, commit is allowed"
        },
        {
            "two members of access_as",
            Yml.Lines("ci_access:", "  projects:", "  - id: g/p", "    access_as:", "      agent: {}", "      ci_job: {}"),
            $"{F}:6:7: ci_access.projects[0].access_as.ci_job: \"agent\" and \"ci_job\" are both set, but only one of agent, impersonate, ci_job is allowed"
        },
        {
            "duration: not a string",
            Yml.Lines("gitops:", "  manifest_projects:", "  - reconcile_timeout: 3600"),
            $"{F}:3:24: gitops.manifest_projects[0].reconcile_timeout: expected a duration string such as \"20s\" or \"1h30m\", got integer 3600"
        },
        {
            "duration: bad text",
            Yml.Lines("gitops:", "  manifest_projects:", "  - prune_timeout: 1 hour"),
            $"{F}:3:20: gitops.manifest_projects[0].prune_timeout: invalid duration \"1 hour\", expected e.g. \"3600s\", \"1.5s\", \"1h30m\" or \"500ms\""
        },
        {
            "duration: unknown unit",
            Yml.Lines("remote_development:", "  full_sync_interval: 1d"),
            $"{F}:2:23: remote_development.full_sync_interval: invalid duration \"1d\", expected e.g. \"3600s\", \"1.5s\", \"1h30m\" or \"500ms\""
        },
        // ---- YAML features ----
        {
            "alias to an undefined anchor",
            Yml.Lines("gitops: *x"),
            $"{F}:1:9: gitops: alias \"*x\" refers to no anchor defined before it"
        },
        {
            "merge key",
            Yml.Lines("gitops:", "  manifest_projects:", "  - &p", "    id: a", "  - <<: *p", "    id: b"),
            $"{F}:5:5: gitops.manifest_projects[1]: merge keys (\"<<\") are not supported; write the keys out, or reuse a whole value with an alias (*name)"
        },
        {
            "custom tag",
            Yml.Lines("gitops: !custom {}"),
            $"{F}:1:9: gitops: tag \"!custom\" is not allowed on a mapping; only the YAML core schema tags !!str, !!int, !!float, !!bool, !!null, !!map and !!seq are supported"
        },
        {
            "core tag that does not fit the value",
            Yml.Lines("cilium:", "  hubble_relay_address: !!int abc"),
            $"{F}:2:25: cilium.hubble_relay_address: \"abc\" is not a valid !!int value"
        },
        {
            "!!map on a scalar",
            Yml.Lines("flux: !!map x"),
            $"{F}:1:7: flux: tag \"!!map\" is not allowed on a scalar; only the YAML core schema tags !!str, !!int, !!float, !!bool, !!null, !!map and !!seq are supported"
        },
        {
            "complex key",
            Yml.Lines("{a: 1}: 2"),
            $"{F}:1:1: mapping keys must be scalars (complex keys are not supported)"
        },
        {
            "two documents",
            Yml.Lines("gitops: {}", "---", "flux: {}"),
            $"{F}:2:1: the file contains more than one YAML document (\"---\"); only one is allowed"
        },
        {
            "syntax error",
            Yml.Lines("gitops: ["),
            $"{F}:2:1: invalid YAML: While parsing a node, did not find expected node content."
        },
        {
            "bad indentation",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: a", "   default_namespace: x"),
            $"{F}:4:4: invalid YAML: While parsing a block mapping, did not find expected key."
        },
        // ---- validation ----
        {
            "manifest project id present but empty",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: \"\""),
            $"{F}:3:9: gitops.manifest_projects[0].id: must not be empty (leave it out to use the agent's configuration project)"
        },
        {
            "duplicate manifest project id",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: group/a", "  - id: group/b", "  - id: group/a"),
            $"{F}:5:9: gitops.manifest_projects[2].id: duplicate manifest project \"group/a\", already listed as gitops.manifest_projects[0]"
        },
        {
            "duplicate manifest project id and ref",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: group/a", "    ref: {branch: dev}", "  - id: group/a", "    ref: {branch: dev}"),
            $"{F}:5:9: gitops.manifest_projects[1].id: duplicate manifest project \"group/a\" at branch \"dev\", already listed as gitops.manifest_projects[0]"
        },
        {
            "duplicate configuration project entries (no id)",
            Yml.Lines("gitops:", "  manifest_projects:", "  - default_namespace: a", "  - default_namespace: b"),
            $"{F}:4:5: gitops.manifest_projects[1]: duplicate manifest project the configuration project (no id), already listed as gitops.manifest_projects[0]"
        },
        {
            "empty glob",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: a", "    paths:", "    - glob: '*.yaml'", "    - glob: ''"),
            $"{F}:6:13: gitops.manifest_projects[0].paths[1].glob: must not be empty"
        },
        {
            "path without glob",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: a", "    paths:", "    - {}"),
            $"{F}:5:7: gitops.manifest_projects[0].paths[0].glob: must not be empty"
        },
        {
            "too many paths",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: a", "    paths:") + string.Concat(Enumerable.Range(0, 101).Select(i => $"    - glob: d{i}/*.yaml\n")),
            $"{F}:5:5: gitops.manifest_projects[0].paths: too many paths: 101, the maximum is 100"
        },
        {
            "dry_run_strategy",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: a", "    dry_run_strategy: all"),
            $"{F}:4:23: gitops.manifest_projects[0].dry_run_strategy: invalid value \"all\", expected one of: none, client, server"
        },
        {
            "prune_propagation_policy",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: a", "    prune_propagation_policy: Foreground"),
            $"{F}:4:31: gitops.manifest_projects[0].prune_propagation_policy: invalid value \"Foreground\", expected one of: orphan, background, foreground"
        },
        {
            "inventory_policy",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: a", "    inventory_policy: adopt"),
            $"{F}:4:23: gitops.manifest_projects[0].inventory_policy: invalid value \"adopt\", expected one of: must_match, adopt_if_no_inventory, adopt_all"
        },
        {
            "negative durations",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: a", "    reconcile_timeout: -1s", "    prune_timeout: -1m30s"),
            $"{F}:4:24: gitops.manifest_projects[0].reconcile_timeout: must not be negative\n{F}:5:20: gitops.manifest_projects[0].prune_timeout: must not be negative"
        },
        {
            "ref without a member",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: a", "    ref: {}"),
            $"{F}:4:10: gitops.manifest_projects[0].ref: exactly one of tag, branch, commit must be set"
        },
        {
            "ref member empty",
            Yml.Lines("gitops:", "  manifest_projects:", "  - id: a", "    ref:", "      commit: ''"),
            $"{F}:5:15: gitops.manifest_projects[0].ref.commit: must not be empty"
        },
        {
            "cilium without relay address",
            Yml.Lines("cilium: {}"),
            $"{F}:1:9: cilium.hubble_relay_address: must not be empty when the cilium section is present"
        },
        {
            "ci_access ids and access_as",
            Yml.Lines(
                "ci_access:",
                "  projects:",
                "  - id: ''",
                "    access_as: {}",
                "  groups:",
                "  - id: g",
                "    access_as:",
                "      agent:",
                "    environments: [production, '']"),
            $"{F}:3:9: ci_access.projects[0].id: must not be empty\n" +
            $"{F}:4:16: ci_access.projects[0].access_as: exactly one of agent, impersonate, ci_job must be set (an empty one is written \"agent: {{}}\")\n" +
            $"{F}:8:7: ci_access.groups[0].access_as: exactly one of agent, impersonate, ci_job must be set (an empty one is written \"agent: {{}}\")\n" +
            $"{F}:9:32: ci_access.groups[0].environments[1]: must not be empty"
        },
        {
            "ci_access impersonation",
            Yml.Lines(
                "ci_access:",
                "  groups:",
                "  - id: g",
                "    access_as:",
                "      impersonate:",
                "        groups: [a]",
                "        extra:",
                "        - key: ''",
                "          val: [x]",
                "        - key: k"),
            $"{F}:6:9: ci_access.groups[0].access_as.impersonate.username: must not be empty\n" +
            $"{F}:8:16: ci_access.groups[0].access_as.impersonate.extra[0].key: must not be empty\n" +
            $"{F}:10:11: ci_access.groups[0].access_as.impersonate.extra[1].val: must have at least one value"
        },
        {
            "too many ci_access projects",
            Yml.Lines("ci_access:", "  projects:") + string.Concat(Enumerable.Range(0, 501).Select(i => $"  - id: g/p{i}\n")),
            $"{F}:3:3: ci_access.projects: too many projects: 501, the maximum is 500"
        },
        {
            "user_access",
            Yml.Lines("user_access:", "  access_as: {}", "  projects:", "  - id: ''", "  groups:", "  - {}"),
            $"{F}:2:14: user_access.access_as: exactly one of agent, user must be set (an empty one is written \"agent: {{}}\")\n" +
            $"{F}:4:9: user_access.projects[0].id: must not be empty\n" +
            $"{F}:6:5: user_access.groups[0].id: must not be empty"
        },
        {
            "too many user_access groups",
            Yml.Lines("user_access:", "  access_as: {agent: {}}", "  groups:") + string.Concat(Enumerable.Range(0, 501).Select(i => $"  - id: g{i}\n")),
            $"{F}:4:3: user_access.groups: too many groups: 501, the maximum is 500"
        },
        {
            "container_scanning without cadence",
            Yml.Lines("container_scanning:", "  vulnerability_report:", "    namespaces: [default]"),
            $"{F}:2:3: container_scanning.cadence: must be set when the container_scanning section is present (a cron expression, e.g. \"0 0 * * *\")"
        },
        {
            "remote_development negative interval",
            Yml.Lines("remote_development:", "  partial_sync_interval: -10s"),
            $"{F}:2:26: remote_development.partial_sync_interval: must not be negative"
        },
        // ---- several errors at once, in file order; validation skips values that failed to parse ----
        {
            "all errors are reported",
            Yml.Lines(
                "gitops:",
                "  manifest_projects:",
                "  - id: 1",
                "    paths:",
                "    - glob: 2",
                "    dry_run_strategy: bad",
                "  - id: ''",
                "observability:",
                "  logging: {level: loud}",
                "bogus: true"),
            $"{F}:3:9: gitops.manifest_projects[0].id: expected a string, got integer 1 (put it in quotes to use it as a string)\n" +
            $"{F}:5:13: gitops.manifest_projects[0].paths[0].glob: expected a string, got integer 2 (put it in quotes to use it as a string)\n" +
            $"{F}:6:23: gitops.manifest_projects[0].dry_run_strategy: invalid value \"bad\", expected one of: none, client, server\n" +
            $"{F}:7:9: gitops.manifest_projects[1].id: must not be empty (leave it out to use the agent's configuration project)\n" +
            $"{F}:9:20: observability.logging.level: invalid value \"loud\", expected one of: info, debug, warn, error\n" +
            $"{F}:10:1: bogus: unknown field \"bogus\", expected one of: {TopKeys}"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Invalid_file_reports_exact_errors(string name, string yaml, string expected)
    {
        var ex = Assert.Throws<ConfigurationException>(() => AgentConfigurationFile.Parse(yaml, F));
        Assert.True(expected == ex.Message, $"{name}\nexpected:\n{expected}\nactual:\n{ex.Message}");
        Assert.Equal(expected.Split('\n'), ex.Errors.Select(e => e.ToString()));
    }
}
