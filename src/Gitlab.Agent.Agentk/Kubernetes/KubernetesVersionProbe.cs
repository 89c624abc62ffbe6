using Gitlab.Agent.Agentk.Configuration;
using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Agentk.Logging;
using Gitlab.Agent.Protocol.Entity;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Agentk.Kubernetes;

/// <summary>Asks the API server for its version (best effort, at most every 5 minutes) so AgentMeta can report it to KAS.</summary>
internal sealed class KubernetesVersionProbe(
    KubernetesAccess access,
    IServiceProvider services,
    AgentInfo agentInfo,
    IOptions<KasRetryOptions> options,
    TimeProvider timeProvider,
    ILogger<KubernetesVersionProbe> logger)
{
    private static readonly TimeSpan RetryPeriod = TimeSpan.FromMinutes(5);
    private long? _lastAttempt;

    public async Task TryProbeAsync(CancellationToken cancellationToken)
    {
        if (agentInfo.HasKubernetesVersion || !access.IsConfigured
            || (_lastAttempt is { } last && timeProvider.GetElapsedTime(last) < RetryPeriod))
        {
            return;
        }

        _lastAttempt = timeProvider.GetTimestamp();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.KubernetesVersionTimeout);
            var client = services.GetRequiredService<IKubernetes>();
            var version = await client.Version.GetCodeAsync(timeout.Token);
            agentInfo.SetKubernetesVersion(new KubernetesVersion
            {
                Major = version.Major ?? string.Empty,
                Minor = version.Minor ?? string.Empty,
                GitVersion = version.GitVersion ?? string.Empty,
                Platform = version.Platform ?? string.Empty,
            });
            AgentkLog.KubernetesVersion(logger, version.GitVersion ?? string.Empty);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            AgentkLog.KubernetesVersionUnavailable(logger, e);
        }
    }
}
