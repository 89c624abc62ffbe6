using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.GitOps.Agent;

/// <summary>
/// Watches the collections of a project's managed objects (one watch per resource type, cluster-wide, falling back
/// to per-namespace watches when cluster-wide access is denied) and queues objects that were deleted or whose
/// managed fields changed. Changes to fields agentk does not set, and agentk's own writes, queue nothing.
/// </summary>
internal sealed class DriftWatcher(
    SyncEngine engine,
    ProjectSyncState state,
    ChannelWriter<ObjectId> drifted,
    ILogger logger) : IAsyncDisposable
{
    private readonly Dictionary<ApiResource, (CancellationTokenSource Cts, Task Task)> _watches = [];
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Starts watches for resources in <see cref="ProjectSyncState.Managed"/> that are not watched yet and stops unused ones.</summary>
    public async Task UpdateAsync()
    {
        var needed = state.Managed.Values.Select(p => p.Resource!).Distinct().ToHashSet();
        foreach (var (resource, watch) in _watches.ToList())
        {
            if (!needed.Contains(resource))
            {
                _watches.Remove(resource);
                await watch.Cts.CancelAsync().ConfigureAwait(false);
                await Quietly(watch.Task).ConfigureAwait(false);
                watch.Cts.Dispose();
            }
        }

        foreach (var resource in needed)
        {
            if (!_watches.ContainsKey(resource))
            {
                var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                _watches[resource] = (cts, Task.Run(() => WatchResourceAsync(resource, cts.Token)));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var (_, watch) in _watches)
        {
            await Quietly(watch.Task).ConfigureAwait(false);
            watch.Cts.Dispose();
        }

        _watches.Clear();
        _stopping.Dispose();
    }

    private async Task WatchResourceAsync(ApiResource resource, CancellationToken cancellationToken)
    {
        var client = engine.Client;
        var clusterWide = true;
        var delay = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var scopes = clusterWide || !resource.Namespaced
                    ? new List<string?> { null }
                    : state.Managed.Values.Where(p => p.Resource == resource).Select(p => (string?)p.Id.Namespace).Distinct().ToList();
                await Task.WhenAll(scopes.Select(ns => WatchScopeAsync(client, resource, ns, cancellationToken))).ConfigureAwait(false);
                delay = TimeSpan.FromSeconds(1);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (KubernetesApiException e) when (e.StatusCode == HttpStatusCode.Forbidden && clusterWide && resource.Namespaced)
            {
                clusterWide = false;
                continue;
            }
            catch (Exception e)
            {
                GitOpsAgentLog.WatchFailed(logger, state.ProjectPath, resource.Plural, e.Message);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30));
            }
        }
    }

    private async Task WatchScopeAsync(KubernetesDynamicClient client, ApiResource resource, string? ns, CancellationToken cancellationToken)
    {
        // Whatever happened before this watch started is checked once, from the list.
        var resourceVersion = await ListAndInspectAsync(client, resource, ns, cancellationToken).ConfigureAwait(false);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var (type, obj) in client.WatchAsync(resource, ns, resourceVersion, 50, cancellationToken).ConfigureAwait(false))
                {
                    if (obj["metadata"]?["resourceVersion"]?.GetValue<string>() is { } rv)
                    {
                        resourceVersion = rv;
                    }

                    if (type != "BOOKMARK")
                    {
                        Inspect(resource, type, obj);
                    }
                }
            }
            catch (KubernetesApiException e) when (e.StatusCode == HttpStatusCode.Gone)
            {
                resourceVersion = await ListAndInspectAsync(client, resource, ns, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void Inspect(ApiResource resource, string type, JsonObject obj)
    {
        var name = obj["metadata"]?["name"]?.GetValue<string>();
        var ns = obj["metadata"]?["namespace"]?.GetValue<string>() ?? "";
        if (name is null)
        {
            return;
        }

        var id = new ObjectId(resource.Group, resource.Kind, resource.Namespaced ? ns : "", name);
        if (!state.Managed.TryGetValue(id, out var planned))
        {
            return;
        }

        if (type == "DELETED" || !engine.IsUnchanged(state, planned, obj))
        {
            drifted.TryWrite(id);
        }
    }

    private async Task<string> ListAndInspectAsync(KubernetesDynamicClient client, ApiResource resource, string? ns, CancellationToken cancellationToken)
    {
        var (items, resourceVersion) = await client.ListAsync(resource, ns, null, cancellationToken).ConfigureAwait(false);
        var present = new HashSet<ObjectId>();
        foreach (var item in items)
        {
            var name = item["metadata"]?["name"]?.GetValue<string>();
            var itemNs = item["metadata"]?["namespace"]?.GetValue<string>() ?? "";
            if (name is not null)
            {
                present.Add(new ObjectId(resource.Group, resource.Kind, resource.Namespaced ? itemNs : "", name));
                Inspect(resource, "ADDED", item);
            }
        }

        foreach (var p in state.Managed.Values)
        {
            if (p.Resource == resource && (ns is null || p.Id.Namespace == ns) && !present.Contains(p.Id))
            {
                drifted.TryWrite(p.Id);
            }
        }

        return resourceVersion;
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
        }
    }
}
