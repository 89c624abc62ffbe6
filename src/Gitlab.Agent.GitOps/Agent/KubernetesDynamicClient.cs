using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using k8s;

namespace Gitlab.Agent.GitOps.Agent;

/// <summary>
/// A small dynamic Kubernetes client over the <see cref="Kubernetes"/> HTTP pipeline (its credentials and TLS setup):
/// discovery (group/version/kind → resource and scope), GET, LIST, WATCH, server-side apply and DELETE of
/// unstructured objects, with retries on 429, 5xx and conflicts.
/// </summary>
internal sealed class KubernetesDynamicClient
{
    private const int MaxAttempts = 6;
    private static readonly MediaTypeHeaderValue ApplyPatchType = new("application/apply-patch+yaml");

    private readonly Kubernetes _kubernetes;
    private readonly ConcurrentDictionary<string, Task<IReadOnlyList<ApiResource>?>> _groupVersions = new(StringComparer.Ordinal);
    private Task<Dictionary<string, string>>? _preferredVersions;

    public KubernetesDynamicClient(IKubernetes kubernetes)
    {
        _kubernetes = kubernetes as Kubernetes
            ?? throw new ArgumentException($"GitOps needs the k8s.Kubernetes client (got {kubernetes.GetType().FullName}).", nameof(kubernetes));
    }

    /// <summary>Resolves <paramref name="apiVersion"/>/<paramref name="kind"/>; <see langword="null"/> when the server does not serve it.</summary>
    public async Task<ApiResource?> ResolveAsync(string apiVersion, string kind, CancellationToken cancellationToken)
    {
        var resource = Find(await GetGroupVersionAsync(apiVersion, refresh: false, cancellationToken).ConfigureAwait(false), kind);
        if (resource is not null)
        {
            return resource;
        }

        // A CRD may have been established since the last discovery.
        return Find(await GetGroupVersionAsync(apiVersion, refresh: true, cancellationToken).ConfigureAwait(false), kind);
    }

    /// <summary>Resolves a group/kind at the group's preferred version (used for pruning inventory entries).</summary>
    public async Task<ApiResource?> ResolveAsync(GroupKind groupKind, CancellationToken cancellationToken)
    {
        if (groupKind.Group.Length == 0)
        {
            return await ResolveAsync("v1", groupKind.Kind, cancellationToken).ConfigureAwait(false);
        }

        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (attempt == 1)
            {
                _preferredVersions = null;
            }

            var preferred = await (_preferredVersions ??= LoadPreferredVersionsAsync(cancellationToken)).ConfigureAwait(false);
            if (preferred.TryGetValue(groupKind.Group, out var version))
            {
                var resource = await ResolveAsync($"{groupKind.Group}/{version}", groupKind.Kind, cancellationToken).ConfigureAwait(false);
                if (resource is not null)
                {
                    return resource;
                }
            }
        }

        return null;
    }

    public void InvalidateDiscovery()
    {
        _groupVersions.Clear();
        _preferredVersions = null;
    }

    public async Task<JsonObject?> GetAsync(ApiResource resource, string? ns, string name, CancellationToken cancellationToken)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, resource.ObjectPath(ns, name), null, null, allowNotFound: true, retryConflict: false, cancellationToken).ConfigureAwait(false);
        return status == HttpStatusCode.NotFound ? null : JsonNode.Parse(body) as JsonObject;
    }

    /// <summary>Lists objects; returns the items and the list's resourceVersion.</summary>
    public async Task<(List<JsonObject> Items, string ResourceVersion)> ListAsync(ApiResource resource, string? ns, int? limit, CancellationToken cancellationToken)
    {
        var path = resource.CollectionPath(ns) + (limit is { } l ? $"?limit={l}" : "");
        var (_, body) = await SendAsync(HttpMethod.Get, path, null, null, allowNotFound: false, retryConflict: false, cancellationToken).ConfigureAwait(false);
        var list = JsonNode.Parse(body) as JsonObject ?? throw new KubernetesApiException(HttpStatusCode.InternalServerError, $"LIST {path} did not return an object");
        var items = new List<JsonObject>();
        if (list["items"] is JsonArray array)
        {
            foreach (var item in array)
            {
                if (item is JsonObject obj)
                {
                    // List items omit apiVersion/kind.
                    obj["apiVersion"] ??= resource.ApiVersion;
                    obj["kind"] ??= resource.Kind;
                    items.Add(obj);
                }
            }
        }

        var rv = list["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "";
        return (items, rv);
    }

    /// <summary>Server-side apply with field manager <paramref name="fieldManager"/> and <c>force=true</c>.</summary>
    public async Task<JsonObject> ApplyAsync(ApiResource resource, JsonObject obj, string? ns, string name, string fieldManager, bool dryRun, CancellationToken cancellationToken)
    {
        var query = $"?fieldManager={Uri.EscapeDataString(fieldManager)}&force=true&fieldValidation=Strict" + (dryRun ? "&dryRun=All" : "");
        var content = obj.ToJsonString();
        var (_, body) = await SendAsync(HttpMethod.Patch, resource.ObjectPath(ns, name) + query, content, ApplyPatchType, allowNotFound: false, retryConflict: true, cancellationToken).ConfigureAwait(false);
        return JsonNode.Parse(body) as JsonObject ?? new JsonObject();
    }

    /// <summary>Deletes an object; returns <see langword="false"/> when it did not exist.</summary>
    public async Task<bool> DeleteAsync(ApiResource resource, string? ns, string name, string propagationPolicy, bool dryRun, CancellationToken cancellationToken)
    {
        var query = $"?propagationPolicy={Uri.EscapeDataString(propagationPolicy)}" + (dryRun ? "&dryRun=All" : "");
        var (status, _) = await SendAsync(HttpMethod.Delete, resource.ObjectPath(ns, name) + query, null, null, allowNotFound: true, retryConflict: true, cancellationToken).ConfigureAwait(false);
        return status != HttpStatusCode.NotFound;
    }

    /// <summary>Watches a collection from <paramref name="resourceVersion"/> until the server ends the watch.</summary>
    public async IAsyncEnumerable<(string Type, JsonObject Object)> WatchAsync(
        ApiResource resource,
        string? ns,
        string resourceVersion,
        int timeoutSeconds,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = resource.CollectionPath(ns) +
            $"?watch=true&allowWatchBookmarks=true&timeoutSeconds={timeoutSeconds.ToString(CultureInfo.InvariantCulture)}" +
            (resourceVersion.Length > 0 ? $"&resourceVersion={Uri.EscapeDataString(resourceVersion)}" : "");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_kubernetes.BaseUri, path));
        await PrepareAsync(request, cancellationToken).ConfigureAwait(false);
        using var response = await _kubernetes.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw KubernetesApiException.FromResponse(response.StatusCode, "WATCH", path, body);
        }

        using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (true)
        {
            var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                yield break;
            }

            if (line.Length == 0)
            {
                continue;
            }

            if (JsonNode.Parse(line) is JsonObject evt && evt["type"]?.GetValue<string>() is { } type && evt["object"] is JsonObject obj)
            {
                if (type == "ERROR")
                {
                    var code = obj["code"]?.GetValue<int>() ?? 500;
                    throw new KubernetesApiException((HttpStatusCode)code, $"watch {path} failed: {obj["message"]?.GetValue<string>()}", obj["reason"]?.GetValue<string>());
                }

                obj.Remove("object");
                yield return (type, obj);
            }
        }
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(
        HttpMethod method,
        string path,
        string? content,
        MediaTypeHeaderValue? contentType,
        bool allowNotFound,
        bool retryConflict,
        CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, new Uri(_kubernetes.BaseUri, path));
            if (content is not null)
            {
                request.Content = new StringContent(content, Encoding.UTF8);
                request.Content.Headers.ContentType = contentType;
            }

            await PrepareAsync(request, cancellationToken).ConfigureAwait(false);
            HttpResponseMessage response;
            try
            {
                response = await _kubernetes.HttpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException) when (attempt < MaxAttempts)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Next(delay);
                continue;
            }

            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode || (allowNotFound && response.StatusCode == HttpStatusCode.NotFound))
                {
                    return (response.StatusCode, body);
                }

                var retriable = response.StatusCode == HttpStatusCode.TooManyRequests ||
                    ((int)response.StatusCode >= 500 && response.StatusCode != HttpStatusCode.NotImplemented) ||
                    (retryConflict && response.StatusCode == HttpStatusCode.Conflict);
                if (!retriable || attempt >= MaxAttempts)
                {
                    throw KubernetesApiException.FromResponse(response.StatusCode, method.Method, path, body);
                }

                var wait = response.Headers.RetryAfter?.Delta is { } retryAfter && retryAfter < TimeSpan.FromSeconds(30) ? retryAfter : delay;
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                delay = Next(delay);
            }
        }
    }

    private static TimeSpan Next(TimeSpan delay) => TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));

    private async Task PrepareAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (_kubernetes.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    private static ApiResource? Find(IReadOnlyList<ApiResource>? resources, string kind) =>
        resources?.FirstOrDefault(r => r.Kind == kind);

    private Task<IReadOnlyList<ApiResource>?> GetGroupVersionAsync(string apiVersion, bool refresh, CancellationToken cancellationToken)
    {
        if (refresh)
        {
            _groupVersions.TryRemove(apiVersion, out _);
        }

        var task = _groupVersions.GetOrAdd(apiVersion, v => LoadGroupVersionAsync(v, cancellationToken));
        if (task.IsFaulted || task.IsCanceled)
        {
            _groupVersions.TryRemove(new KeyValuePair<string, Task<IReadOnlyList<ApiResource>?>>(apiVersion, task));
        }

        return task;
    }

    private async Task<IReadOnlyList<ApiResource>?> LoadGroupVersionAsync(string apiVersion, CancellationToken cancellationToken)
    {
        var group = ManifestObject.ApiGroup(apiVersion);
        var version = ManifestObject.ApiVersionOnly(apiVersion);
        var path = group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";
        try
        {
            var (status, body) = await SendAsync(HttpMethod.Get, path, null, null, allowNotFound: true, retryConflict: false, cancellationToken).ConfigureAwait(false);
            if (status == HttpStatusCode.NotFound || JsonNode.Parse(body) is not JsonObject list || list["resources"] is not JsonArray resources)
            {
                return null;
            }

            var result = new List<ApiResource>();
            foreach (var item in resources)
            {
                var name = item?["name"]?.GetValue<string>();
                var kind = item?["kind"]?.GetValue<string>();
                if (name is null || kind is null || name.Contains('/', StringComparison.Ordinal))
                {
                    continue;
                }

                result.Add(new ApiResource(group, version, kind, name, item?["namespaced"]?.GetValue<bool>() ?? false));
            }

            return result;
        }
        catch
        {
            _groupVersions.TryRemove(apiVersion, out _);
            throw;
        }
    }

    private async Task<Dictionary<string, string>> LoadPreferredVersionsAsync(CancellationToken cancellationToken)
    {
        var (_, body) = await SendAsync(HttpMethod.Get, "apis", null, null, allowNotFound: false, retryConflict: false, cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (JsonNode.Parse(body)?["groups"] is JsonArray groups)
        {
            foreach (var group in groups)
            {
                var name = group?["name"]?.GetValue<string>();
                var version = group?["preferredVersion"]?["version"]?.GetValue<string>()
                    ?? group?["versions"]?[0]?["version"]?.GetValue<string>();
                if (name is not null && version is not null)
                {
                    result[name] = version;
                }
            }
        }

        return result;
    }
}
