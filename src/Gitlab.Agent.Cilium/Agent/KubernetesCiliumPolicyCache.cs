using System.Net;
using System.Text.Json;
using Gitlab.Agent.Cilium.Policies;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Cilium.Agent;

/// <summary>
/// Watch-backed cache of CiliumNetworkPolicies in all namespaces: list, then watch from the list's resourceVersion;
/// an expired watch (410, delivered as an ERROR event) or a watch timeout leads to a new list or watch, any other
/// failure to a new list after <see cref="CiliumAgentOptions.PolicyRelistDelay"/>. Needs <c>list</c> and <c>watch</c>
/// on <c>ciliumnetworkpolicies.cilium.io</c>.
/// </summary>
internal sealed class KubernetesCiliumPolicyCache : ICiliumPolicyCache
{
    private readonly Lazy<IKubernetes> _kubernetes;
    private readonly CiliumAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<(string, string), CiliumPolicy> _policies = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile CiliumPolicySnapshot _snapshot = CiliumPolicySnapshot.Empty;

    /// <summary>
    /// <paramref name="kubernetes"/> is called on first use (inside the retry loop), so an agent without cluster access
    /// starts and only logs list failures once Cilium is configured.
    /// </summary>
    public KubernetesCiliumPolicyCache(Func<IKubernetes> kubernetes, IOptions<CiliumAgentOptions> options, TimeProvider time, ILogger<KubernetesCiliumPolicyCache> logger)
    {
        _kubernetes = new Lazy<IKubernetes>(kubernetes, LazyThreadSafetyMode.PublicationOnly);
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public CiliumPolicySnapshot Snapshot => _snapshot;

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var resourceVersion = await ListAsync(cancellationToken).ConfigureAwait(false);
                while (resourceVersion is not null)
                {
                    resourceVersion = await WatchAsync(resourceVersion, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                CiliumAgentLog.PolicyListFailed(_logger, e, _options.PolicyRelistDelay);
                try
                {
                    await Task.Delay(_options.PolicyRelistDelay, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<string> ListAsync(CancellationToken cancellationToken)
    {
        using var response = await _kubernetes.Value.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<CiliumNetworkPolicyResourceList>(
            CiliumNetworkPolicyResource.Group, CiliumNetworkPolicyResource.Version, CiliumNetworkPolicyResource.Plural,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        var list = response.Body;
        _policies.Clear();
        foreach (var item in list.Items)
        {
            Upsert(item);
        }

        Publish();
        CiliumAgentLog.PolicyCacheSynced(_logger, _policies.Count, _snapshot.Count);
        _synced.TrySetResult();
        return list.Metadata?.ResourceVersion ?? string.Empty;
    }

    /// <summary>Watches from <paramref name="resourceVersion"/>; returns where to continue, or <see langword="null"/> to list again.</summary>
    internal async Task<string?> WatchAsync(string resourceVersion, CancellationToken cancellationToken)
    {
        Exception? error = null;
        var watch = _kubernetes.Value.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync(
            CiliumNetworkPolicyResource.Group, CiliumNetworkPolicyResource.Version, CiliumNetworkPolicyResource.Plural,
            allowWatchBookmarks: true,
            resourceVersion: resourceVersion,
            timeoutSeconds: (int)_options.PolicyWatchTimeout.TotalSeconds,
            watch: true,
            cancellationToken: cancellationToken);
        // The typed watcher is marked obsolete in favour of the untyped WatchList* helpers; it still is the one that
        // deserializes into our resource type and reports ERROR events (410 Expired) through onError.
#pragma warning disable CS0618
        var events = watch.WatchAsync<CiliumNetworkPolicyResource, object>(e => error ??= e, cancellationToken);
#pragma warning restore CS0618
        await foreach (var (type, item) in events.ConfigureAwait(false))
        {
            switch (type)
            {
                case WatchEventType.Added:
                case WatchEventType.Modified:
                    Upsert(item);
                    Publish();
                    break;
                case WatchEventType.Deleted:
                    _policies.Remove((item.Metadata.NamespaceProperty ?? string.Empty, item.Metadata.Name ?? string.Empty));
                    Publish();
                    break;
            }

            if (!string.IsNullOrEmpty(item.Metadata?.ResourceVersion))
            {
                resourceVersion = item.Metadata.ResourceVersion;
            }
        }

        switch (error)
        {
            case null:
                return resourceVersion;
            case KubernetesException { Status.Code: (int)HttpStatusCode.Gone } expired:
                CiliumAgentLog.PolicyWatchExpired(_logger, expired.Status.Message ?? "410 Gone");
                return null;
            case HttpOperationException { Response.StatusCode: HttpStatusCode.Gone }:
                CiliumAgentLog.PolicyWatchExpired(_logger, "410 Gone");
                return null;
            default:
                throw error;
        }
    }

    private void Upsert(CiliumNetworkPolicyResource resource)
    {
        var key = (resource.Metadata?.NamespaceProperty ?? string.Empty, resource.Metadata?.Name ?? string.Empty);
        try
        {
            using var document = JsonDocument.Parse(KubernetesJson.Serialize(resource));
            _policies[key] = CiliumPolicyParser.Parse(document.RootElement);
        }
        catch (PolicyParseException e)
        {
            _policies.Remove(key);
            CiliumAgentLog.PolicyInvalid(_logger, e.Message);
        }
    }

    private void Publish() => _snapshot = new CiliumPolicySnapshot(_policies.Values);
}
