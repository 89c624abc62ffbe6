using Gitlab.Agent.GitOps.Tests.Agent;
using Gitlab.Agent.GitOps.Tests.Infrastructure;
using Gitlab.Agent.TestUtilities.Git;

namespace Gitlab.Agent.GitOps.Tests.EndToEnd;

/// <summary>KAS mirrors projects from a real git daemon; the daemon goes away.</summary>
public class GitServerDownTests
{
    [Fact]
    public async Task Nothing_is_pruned_while_the_git_server_is_down()
    {
        using var gitRoot = new Gitlab.Agent.TestUtilities.TempDirectory("git-daemon");
        var daemon = await GitDaemon.StartAsync(gitRoot.Path);
        await using var env = await GitOpsEnvironment.StartAsync(configureKas: c =>
        {
            c.Repositories.Directory = "";
            c.Repositories.UrlTemplate = daemon.Url("{project}.git");
            c.Repositories.CacheDirectory = Path.Combine(gitRoot.Path, "..", Path.GetFileName(gitRoot.Path) + "-cache");
        });
        using var manifests = await GitTestRepository.CreateBareAsync(Path.Combine(gitRoot.Path, "group", "project.git"));
        await manifests.CommitAsync(new Dictionary<string, string?>
        {
            ["a.yaml"] = SyncEngineTests.ConfigMap("a"),
            ["b.yaml"] = SyncEngineTests.ConfigMap("b"),
            [$".gitlab/agents/{GitOpsEnvironment.AgentName}/config.yaml"] = "gitops:\n  manifest_projects:\n  - default_namespace: default\n",
        });
        await env.StartAgentAsync(null, manifests);
        await env.WaitForAsync(async () => await env.GetAsync("v1", "ConfigMap", "default", "b") is not null, "the objects are applied");

        await daemon.DisposeAsync();
        await manifests.CommitAsync(new Dictionary<string, string?> { ["b.yaml"] = null });
        Assert.Equal(502, await env.NotifyAsync(GitOpsEnvironment.ConfigProject, expectRefreshed: false));
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.NotNull(await env.GetAsync("v1", "ConfigMap", "default", "a"));
        Assert.NotNull(await env.GetAsync("v1", "ConfigMap", "default", "b"));
        Assert.DoesNotContain(env.AgentLogs.Logs, e => e.Message == "Synced" && ((string?)e.Fields.GetValueOrDefault("syncResult"))?.StartsWith("pruned", StringComparison.Ordinal) == true);
    }
}
