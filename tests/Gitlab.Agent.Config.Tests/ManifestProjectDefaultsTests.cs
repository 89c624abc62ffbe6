using Gitlab.Agent.Protocol.AgentCfg;

namespace Gitlab.Agent.Config.Tests;

public class ManifestProjectDefaultsTests
{
    [Fact]
    public void Absent_keys_get_gitlab_defaults()
    {
        var project = AgentConfigurationFile.Parse("gitops:\n  manifest_projects:\n  - {}\n", "c.yaml").Gitops.ManifestProjects[0];

        Assert.Equal(["**/*.{yaml,yml,json}"], ManifestProjectDefaults.EffectiveGlobs(project));
        Assert.Equal("default", ManifestProjectDefaults.EffectiveNamespace(project));
        Assert.Equal(TimeSpan.FromSeconds(3600), ManifestProjectDefaults.EffectiveReconcileTimeout(project));
        Assert.True(ManifestProjectDefaults.EffectivePrune(project));
        Assert.Equal(TimeSpan.FromSeconds(3600), ManifestProjectDefaults.EffectivePruneTimeout(project));
        Assert.Equal("foreground", ManifestProjectDefaults.EffectivePropagationPolicy(project));
        Assert.Equal("must_match", ManifestProjectDefaults.EffectiveInventoryPolicy(project));
        Assert.Equal("none", ManifestProjectDefaults.EffectiveDryRunStrategy(project));
        Assert.Equal("group/config", ManifestProjectDefaults.EffectiveProjectId(project, "group/config"));
    }

    [Fact]
    public void Configured_values_win()
    {
        var yaml = Yml.Lines(
            "gitops:",
            "  manifest_projects:",
            "  - id: group/m",
            "    default_namespace: ns",
            "    paths: [{glob: 'a/*.yaml'}, {glob: 'b/*.json'}]",
            "    reconcile_timeout: 30s",
            "    prune: false",
            "    prune_timeout: 2m",
            "    prune_propagation_policy: orphan",
            "    inventory_policy: adopt_all",
            "    dry_run_strategy: client");
        var project = AgentConfigurationFile.Parse(yaml, "c.yaml").Gitops.ManifestProjects[0];

        Assert.Equal(["a/*.yaml", "b/*.json"], ManifestProjectDefaults.EffectiveGlobs(project));
        Assert.Equal("ns", ManifestProjectDefaults.EffectiveNamespace(project));
        Assert.Equal(TimeSpan.FromSeconds(30), ManifestProjectDefaults.EffectiveReconcileTimeout(project));
        Assert.False(ManifestProjectDefaults.EffectivePrune(project));
        Assert.Equal(TimeSpan.FromMinutes(2), ManifestProjectDefaults.EffectivePruneTimeout(project));
        Assert.Equal("orphan", ManifestProjectDefaults.EffectivePropagationPolicy(project));
        Assert.Equal("adopt_all", ManifestProjectDefaults.EffectiveInventoryPolicy(project));
        Assert.Equal("client", ManifestProjectDefaults.EffectiveDryRunStrategy(project));
        Assert.Equal("group/m", ManifestProjectDefaults.EffectiveProjectId(project, "group/config"));
    }

    [Fact]
    public void Explicit_prune_true_and_empty_strings()
    {
        var project = new ManifestProjectCF { Prune = true, DefaultNamespace = "", DryRunStrategy = "" };
        Assert.True(ManifestProjectDefaults.EffectivePrune(project));
        Assert.Equal("default", ManifestProjectDefaults.EffectiveNamespace(project));
        Assert.Equal("none", ManifestProjectDefaults.EffectiveDryRunStrategy(project));
    }
}
