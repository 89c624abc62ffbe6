namespace Gitlab.Agent.Tunnel.Agent;

/// <summary>A request to the cluster's API server. Header entries keep their order; a name may repeat.</summary>
internal sealed record ClusterRequest(string Method, string PathAndQuery, IReadOnlyList<KeyValuePair<string, string>> Headers, bool Upgrade)
{
    /// <summary>Writes the request body, or <see langword="null"/> for none.</summary>
    public Func<Stream, CancellationToken, Task>? WriteBody { get; init; }

    /// <summary>Body length when known.</summary>
    public long? ContentLength { get; init; }
}

/// <summary>The API server's answer. <see cref="Body"/> is the connection itself after a <c>101</c>.</summary>
internal sealed class ClusterResponse(int statusCode, string reason, IReadOnlyList<KeyValuePair<string, string>> headers, Stream body, IDisposable? owner) : IAsyncDisposable
{
    public int StatusCode { get; } = statusCode;

    public string Reason { get; } = reason;

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; } = headers;

    public Stream Body { get; } = body;

    public async ValueTask DisposeAsync()
    {
        await Body.DisposeAsync().ConfigureAwait(false);
        owner?.Dispose();
    }
}
