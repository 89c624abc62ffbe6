using k8s;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Agentk.Kubernetes;

/// <summary>
/// Builds the Kubernetes client configuration lazily from <c>--kubeconfig</c>/<c>--context</c> or the in-cluster service
/// account. Resolving <see cref="IKubernetes"/> without either fails with an error that says what to pass.
/// </summary>
internal sealed class KubernetesAccess(IOptions<AgentkOptions> options)
{
    private readonly Lazy<KubernetesClientConfiguration> _configuration = new(() => Build(options.Value));

    /// <summary>Whether a configuration source exists (kubeconfig flag, context flag, or in-cluster environment).</summary>
    public bool IsConfigured =>
        !string.IsNullOrEmpty(options.Value.Kubeconfig) || !string.IsNullOrEmpty(options.Value.Context) || KubernetesClientConfiguration.IsInCluster();

    public KubernetesClientConfiguration Configuration => _configuration.Value;

    private static KubernetesClientConfiguration Build(AgentkOptions o)
    {
        if (!string.IsNullOrEmpty(o.Kubeconfig) || !string.IsNullOrEmpty(o.Context))
        {
            try
            {
                return KubernetesClientConfiguration.BuildConfigFromConfigFile(
                    string.IsNullOrEmpty(o.Kubeconfig) ? null : o.Kubeconfig,
                    string.IsNullOrEmpty(o.Context) ? null : o.Context);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new InvalidOperationException(
                    $"cannot load the Kubernetes configuration from --kubeconfig '{o.Kubeconfig ?? KubernetesClientConfiguration.KubeConfigDefaultLocation}'" +
                    (string.IsNullOrEmpty(o.Context) ? string.Empty : $" (--context '{o.Context}')") + $": {e.Message}", e);
            }
        }

        if (KubernetesClientConfiguration.IsInCluster())
        {
            return KubernetesClientConfiguration.InClusterConfig();
        }

        throw new InvalidOperationException(
            "agentk has no access to a Kubernetes cluster: it is not running in a pod (KUBERNETES_SERVICE_HOST is not set) " +
            "and neither --kubeconfig nor --context was given.");
    }
}
