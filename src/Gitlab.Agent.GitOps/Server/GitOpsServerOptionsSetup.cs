using Gitlab.Agent.Kas;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.GitOps.Server;

/// <summary>Fills <see cref="GitOpsServerOptions"/> from <c>agent.gitops</c> of the KAS configuration file.</summary>
internal sealed class GitOpsServerOptionsSetup(IOptions<KasOptions> kas) : IConfigureOptions<GitOpsServerOptions>
{
    public void Configure(GitOpsServerOptions options)
    {
        if (kas.Value.Configuration?.Agent?.Gitops is { } gitops)
        {
            options.Apply(gitops);
        }
    }
}
