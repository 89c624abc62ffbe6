namespace Gitlab.Agent.Testing;

/// <summary>
/// Every HTTP request the <see cref="KubernetesApiServer"/> answered (the most recent 10,000), with counters of write
/// requests so tests can assert, for example, that a no-op sync made zero writes. Writes by the built-in controllers
/// are not requests and are not counted.
/// </summary>
public sealed class KubernetesRequestLog
{
    private const int Capacity = 10_000;
    private static readonly string[] WriteVerbs = ["create", "update", "patch", "delete", "deletecollection"];
    private readonly Lock _sync = new();
    private readonly Queue<RecordedRequest> _entries = new();
    private readonly Dictionary<string, int> _verbCounts = new(StringComparer.Ordinal);

    /// <summary>A copy of the recorded requests, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Snapshot()
    {
        lock (_sync)
        {
            return _entries.ToList();
        }
    }

    /// <summary>Number of write requests (create, update, patch, delete, deletecollection; dry runs included) since the last <see cref="Reset"/>.</summary>
    public int WriteCount
    {
        get
        {
            lock (_sync)
            {
                return WriteVerbs.Sum(v => _verbCounts.GetValueOrDefault(v));
            }
        }
    }

    /// <summary>Number of requests with the given Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection) since the last <see cref="Reset"/>.</summary>
    /// <param name="verb">The verb, lower case.</param>
    /// <returns>The count.</returns>
    public int Count(string verb)
    {
        lock (_sync)
        {
            return _verbCounts.GetValueOrDefault(verb);
        }
    }

    /// <summary>Forgets every recorded request and zeroes the counters.</summary>
    public void Reset()
    {
        lock (_sync)
        {
            _entries.Clear();
            _verbCounts.Clear();
        }
    }

    internal void Record(RecordedRequest request)
    {
        lock (_sync)
        {
            if (_entries.Count == Capacity)
            {
                _entries.Dequeue();
            }

            _entries.Enqueue(request);
            _verbCounts[request.Verb] = _verbCounts.GetValueOrDefault(request.Verb) + 1;
        }
    }
}

/// <summary>One request answered by the API server.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">URL path.</param>
/// <param name="Query">Query string including the leading '?', or empty.</param>
/// <param name="Verb">Kubernetes verb for resource requests (get, list, watch, create, update, patch, delete, deletecollection); the lower-cased method otherwise.</param>
/// <param name="Resource">Resource (plural) for resource requests.</param>
/// <param name="Subresource">Subresource, if any.</param>
/// <param name="Namespace">Namespace, if any.</param>
/// <param name="Name">Object name, if any.</param>
/// <param name="User">Authenticated user name (before impersonation), or "&lt;none&gt;".</param>
/// <param name="UserAgent">User-Agent header.</param>
/// <param name="ContentType">Content-Type header of the request body.</param>
/// <param name="DryRun">True when the request carried <c>dryRun</c>.</param>
/// <param name="StatusCode">HTTP status of the answer (200 for streams).</param>
/// <param name="Time">When the request finished.</param>
public sealed record RecordedRequest(
    string Method,
    string Path,
    string Query,
    string Verb,
    string? Resource,
    string? Subresource,
    string? Namespace,
    string? Name,
    string User,
    string? UserAgent,
    string? ContentType,
    bool DryRun,
    int StatusCode,
    DateTimeOffset Time);
