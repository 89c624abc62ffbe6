using Gitlab.Agent.GitOps.Agent;
using Gitlab.Agent.GitOps.Server;
using Gitlab.Agent.Protocol.KasCfg;
using Google.Protobuf.WellKnownTypes;

namespace Gitlab.Agent.GitOps.Tests.Server;

public class GitOpsServerOptionsTests
{
    [Fact]
    public void Kas_configuration_values_override_defaults()
    {
        var options = new GitOpsServerOptions();
        var cf = new GitopsCF { PollPeriod = Duration.FromTimeSpan(TimeSpan.FromSeconds(7)), MaxNumberOfFiles = 5 };
        cf.ManifestProjectGrants.Add(new ManifestProjectGrantCF { Project = "g/p", ConfigProjects = { "g/c" } });
        options.Apply(cf);
        Assert.Equal(TimeSpan.FromSeconds(7), options.PollPeriod);
        Assert.Equal(5, options.MaxNumberOfFiles);
        Assert.Equal(100, options.MaxNumberOfPaths);
        Assert.Equal(["g/c"], Assert.Single(options.ManifestProjectGrants).ConfigProjects);
    }

    [Fact]
    public void Invalid_server_options_name_the_key()
    {
        var options = new GitOpsServerOptions { PollPeriod = TimeSpan.Zero, MaxTotalManifestFileSize = 1 };
        options.ManifestProjectGrants.Add(new ManifestProjectGrant { Project = "" });
        var result = new GitOpsServerOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("poll_period", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("max_total_manifest_file_size", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("manifest_project_grants[0].project", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("manifest_project_grants[0].config_projects", StringComparison.Ordinal));
        Assert.True(new GitOpsServerOptionsValidator().Validate(null, new GitOpsServerOptions()).Succeeded);
    }

    [Fact]
    public void Invalid_agent_options_name_the_option()
    {
        var result = new GitOpsAgentOptionsValidator().Validate(null, new GitOpsAgentOptions { ApplyParallelism = 0, RetryMaxBackoff = TimeSpan.FromMilliseconds(1) });
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("ApplyParallelism", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("RetryMaxBackoff", StringComparison.Ordinal));
        Assert.True(new GitOpsAgentOptionsValidator().Validate(null, new GitOpsAgentOptions()).Succeeded);
    }
}
