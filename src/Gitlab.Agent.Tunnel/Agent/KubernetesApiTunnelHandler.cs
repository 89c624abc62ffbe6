using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using Gitlab.Agent.Protocol.Grpctool;
using Gitlab.Agent.Protocol.KubernetesApi;
using Values = Gitlab.Agent.Protocol.Prototool.Values;
using HttpResponse = Gitlab.Agent.Protocol.Grpctool.HttpResponse;
using Gitlab.Agent.Tunnel.Internal;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Tunnel.Agent;

/// <summary>
/// agentk's <c>gitlab.agent.kubernetes_api.rpc.KubernetesApi/MakeRequest</c>: replays the HTTP request KAS sends
/// (grpctool framing) against the cluster's API server with the agent's credentials and the impersonation KAS asked
/// for, and streams the response back (flushing each chunk), including the bytes of upgraded connections.
/// </summary>
internal sealed class KubernetesApiTunnelHandler(Func<KubernetesHttpClient> client, string agentVersion, ILogger<KubernetesApiTunnelHandler> logger) : IAgentTunnelHandler
{
    internal const int ChunkSize = 32 * 1024;

    /// <summary>Largest response data frame (well below KAS's 4 MiB message limit).</summary>
    internal const int MaxChunkSize = 64 * 1024;

    public string ServiceName => KubernetesApi.Descriptor.FullName;

    public IReadOnlyList<string> MethodNames { get; } = [KubernetesApi.Descriptor.FindMethodByName("MakeRequest").Name];

    public async Task HandleAsync(AgentTunnelCall call, CancellationToken cancellationToken)
    {
        await using var frames = new RequestFrames(call.ReadRequestsAsync(cancellationToken).GetAsyncEnumerator(cancellationToken));
        var header = await frames.ReadHeaderAsync().ConfigureAwait(false);
        var request = header.Request ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "header.request is required"));
        var imp = header.Extra is { } extra && extra.Is(HeaderExtra.Descriptor) ? extra.Unpack<HeaderExtra>().ImpConfig : null;

        var cluster = client();
        var upgrade = HttpHeaderRules.IsUpgrade(request.Header.Select(h => new KeyValuePair<string, IEnumerable<string>>(h.Key, h.Value.Value)));
        var hasImpersonationHeaders = request.Header.Keys.Any(HttpHeaderRules.IsImpersonation);
        if (IsSet(imp) && hasImpersonationHeaders)
        {
            await RespondAsync(call, 400, "nested impersonation is not supported: the agent already impersonates for this access (access_as), so Impersonate-* headers (kubectl --as/--as-group) are not allowed", cancellationToken).ConfigureAwait(false);
            await frames.DrainAsync().ConfigureAwait(false);
            return;
        }

        var headers = RequestHeaders(request, upgrade);
        if (IsSet(imp))
        {
            AddImpersonation(imp!, headers);
        }

        var hasBody = !upgrade && (header.HasContentLength ? header.ContentLength != 0 : request.Method is not ("GET" or "HEAD"));
        var clusterRequest = new ClusterRequest(request.Method, BuildUri(cluster.BaseAddress, request).PathAndQuery, headers, upgrade)
        {
            WriteBody = hasBody ? (stream, ct) => CopyBodyAsync(frames, stream, ct) : null,
            ContentLength = hasBody && header.HasContentLength && header.ContentLength > 0 ? header.ContentLength : null,
        };

        ClusterResponse response;
        try
        {
            response = await cluster.SendAsync(clusterRequest, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Security.Authentication.AuthenticationException or System.Net.Sockets.SocketException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            TunnelLog.KubernetesRequestFailed(logger, request.Method, request.UrlPath, e.Message);
            await RespondAsync(call, 502, $"agentk could not reach the Kubernetes API server {cluster.BaseAddress}: {e.Message}", cancellationToken).ConfigureAwait(false);
            return;
        }

        await using (response.ConfigureAwait(false))
        {
            var switching = upgrade && response.StatusCode == (int)HttpStatusCode.SwitchingProtocols;
            await call.SendMessageAsync(ResponseHeaderFrame(response, switching), cancellationToken).ConfigureAwait(false);
            if (switching)
            {
                await call.SendMessageAsync(new HttpResponse { Trailer = new HttpResponse.Types.Trailer() }.ToByteString(), cancellationToken).ConfigureAwait(false);
                await PipeUpgradedAsync(call, frames, response.Body, cancellationToken).ConfigureAwait(false);
                return;
            }

            await StreamBodyAsync(call, response.Body, cancellationToken).ConfigureAwait(false);
            await call.SendMessageAsync(new HttpResponse { Trailer = new HttpResponse.Types.Trailer() }.ToByteString(), cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task CopyBodyAsync(RequestFrames frames, Stream stream, CancellationToken cancellationToken)
    {
        await foreach (var chunk in frames.ReadBodyAsync().ConfigureAwait(false))
        {
            await stream.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool IsSet(ImpersonationConfig? imp) =>
        imp is not null && (imp.Username.Length > 0 || imp.Groups.Count > 0 || imp.Uid.Length > 0 || imp.Extra.Count > 0);

    private static Uri BuildUri(Uri baseAddress, Protocol.Prototool.HttpRequest request)
    {
        var path = request.UrlPath.StartsWith('/') ? request.UrlPath[1..] : request.UrlPath;
        var builder = new UriBuilder(new Uri(baseAddress, path));
        if (request.Query.Count > 0)
        {
            builder.Query = string.Join('&', request.Query.SelectMany(q => q.Value.Value.Select(v => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(v))));
        }

        return builder.Uri;
    }

    private List<KeyValuePair<string, string>> RequestHeaders(Protocol.Prototool.HttpRequest request, bool upgrade)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in request.Header)
        {
            var keepForUpgrade = upgrade && (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase) || name.Equals("Connection", StringComparison.OrdinalIgnoreCase));
            if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
                || name.Equals("User-Agent", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
                || (HttpHeaderRules.HopByHop.Contains(name) && !keepForUpgrade))
            {
                continue;
            }

            foreach (var value in values.Value)
            {
                headers.Add(new(name, value));
            }
        }

        if (upgrade)
        {
            headers.Add(new("Connection", "Upgrade"));
        }

        var userAgent = request.Header.TryGetValue("User-Agent", out var ua) && ua.Value.Count > 0 ? ua.Value[0] + " " : string.Empty;
        headers.Add(new("User-Agent", $"{userAgent}via gitlab-agent/{agentVersion}"));
        return headers;
    }

    private static void AddImpersonation(ImpersonationConfig imp, List<KeyValuePair<string, string>> headers)
    {
        if (imp.Username.Length > 0)
        {
            headers.Add(new("Impersonate-User", imp.Username));
        }

        if (imp.Uid.Length > 0)
        {
            headers.Add(new("Impersonate-Uid", imp.Uid));
        }

        foreach (var group in imp.Groups)
        {
            headers.Add(new("Impersonate-Group", group));
        }

        foreach (var extra in imp.Extra)
        {
            foreach (var value in extra.Val)
            {
                headers.Add(new("Impersonate-Extra-" + HttpHeaderRules.EscapeExtraKey(extra.Key), value));
            }
        }
    }

    private static ByteString ResponseHeaderFrame(ClusterResponse response, bool switching)
    {
        var code = response.StatusCode;
        var reason = response.Reason.Length > 0 ? response.Reason : ((HttpStatusCode)code).ToString();
        var head = new Protocol.Prototool.HttpResponse { StatusCode = code, Status = $"{code} {reason}" };
        foreach (var (name, value) in response.Headers)
        {
            var keepForUpgrade = switching && (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase) || name.Equals("Connection", StringComparison.OrdinalIgnoreCase));
            if (HttpHeaderRules.HopByHop.Contains(name) && !keepForUpgrade)
            {
                continue;
            }

            if (!head.Header.TryGetValue(name, out var v))
            {
                v = new Values();
                head.Header[name] = v;
            }

            v.Value.Add(value);
        }

        return new HttpResponse { Header = new HttpResponse.Types.Header { Response = head } }.ToByteString();
    }

    /// <summary>
    /// Streams the response body as data frames. A frame carries what one read returned plus whatever the next reads
    /// return at once (already buffered), up to <see cref="MaxChunkSize"/>: bulk bodies (large LISTs) travel in few big
    /// frames, while a trickle (watch events, <c>logs -f</c>) is sent as soon as it arrives, never held back.
    /// </summary>
    private static async Task StreamBodyAsync(AgentTunnelCall call, Stream body, CancellationToken cancellationToken)
    {
        // Body bytes are read after room for the frame prefix, so a frame is sent without copying them.
        const int Start = GrpctoolDataFrames.MaxPrefixLength;
        var buffer = ArrayPool<byte>.Shared.Rent(Start + MaxChunkSize);
        var readOutstanding = false;
        try
        {
            var filled = await body.ReadAsync(buffer.AsMemory(Start, MaxChunkSize), cancellationToken).ConfigureAwait(false);
            while (filled > 0)
            {
                ValueTask<int> pending = default;
                var waiting = false;
                var eof = false;
                while (filled < MaxChunkSize)
                {
                    var read = body.ReadAsync(buffer.AsMemory(Start + filled, MaxChunkSize - filled), cancellationToken);
                    if (!read.IsCompleted)
                    {
                        // Nothing more is buffered: send what we have while this read waits (it fills the rest of the buffer).
                        pending = read;
                        waiting = true;
                        readOutstanding = true;
                        break;
                    }

                    var n = await read.ConfigureAwait(false);
                    if (n == 0)
                    {
                        eof = true;
                        break;
                    }

                    filled += n;
                }

                // The frame wraps the rented buffer; it is not touched again until the frame has been sent.
                var prefix = GrpctoolDataFrames.WritePrefix(buffer.AsSpan(0, Start), GrpctoolDataFrames.ResponseData, filled);
                await call.SendMessageAsync(UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(Start - prefix, prefix + filled)), cancellationToken).ConfigureAwait(false);
                if (eof)
                {
                    break;
                }

                if (waiting)
                {
                    var n = await pending.ConfigureAwait(false);
                    readOutstanding = false;
                    if (n > 0)
                    {
                        Buffer.BlockCopy(buffer, Start + filled, buffer, Start, n);
                    }

                    filled = n;
                }
                else
                {
                    filled = await body.ReadAsync(buffer.AsMemory(Start, MaxChunkSize), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            // A read still in flight may write into the buffer later: leave that one to the GC.
            if (!readOutstanding)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static async Task PipeUpgradedAsync(AgentTunnelCall call, RequestFrames frames, Stream connection, CancellationToken cancellationToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var toCluster = Task.Run(async () =>
        {
            await foreach (var data in frames.ReadUpgradeDataAsync().ConfigureAwait(false))
            {
                await connection.WriteAsync(data, done.Token).ConfigureAwait(false);
                await connection.FlushAsync(done.Token).ConfigureAwait(false);
            }
        }, done.Token);

        const int Start = GrpctoolDataFrames.MaxPrefixLength;
        var buffer = ArrayPool<byte>.Shared.Rent(Start + ChunkSize);
        try
        {
            int read;
            while ((read = await connection.ReadAsync(buffer.AsMemory(Start, ChunkSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                var prefix = GrpctoolDataFrames.WritePrefix(buffer.AsSpan(0, Start), GrpctoolDataFrames.ResponseUpgradeData, read);
                await call.SendMessageAsync(UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(Start - prefix, prefix + read)), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await done.CancelAsync().ConfigureAwait(false);
            try
            {
                await toCluster.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
            }
        }
    }

    private static async Task RespondAsync(AgentTunnelCall call, int code, string message, CancellationToken cancellationToken)
    {
        var head = new Protocol.Prototool.HttpResponse { StatusCode = code, Status = $"{code} {(HttpStatusCode)code}" };
        head.Header["Content-Type"] = new Values { Value = { KubernetesStatus.ContentType } };
        await call.SendMessageAsync(new HttpResponse { Header = new HttpResponse.Types.Header { Response = head } }.ToByteString(), cancellationToken).ConfigureAwait(false);
        await call.SendMessageAsync(new HttpResponse { Data = new HttpResponse.Types.Data { Data_ = ByteString.CopyFrom(KubernetesStatus.Create(code, message)) } }.ToByteString(), cancellationToken).ConfigureAwait(false);
        await call.SendMessageAsync(new HttpResponse { Trailer = new HttpResponse.Types.Trailer() }.ToByteString(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads grpctool request frames in order: header → data* → trailer → upgradeData* → EOF.</summary>
    private sealed class RequestFrames(IAsyncEnumerator<ByteString> source) : IAsyncDisposable
    {
        private bool _trailerSeen;

        public async Task<Protocol.Grpctool.HttpRequest.Types.Header> ReadHeaderAsync()
        {
            var frame = await NextAsync().ConfigureAwait(false);
            return frame?.MessageCase == Protocol.Grpctool.HttpRequest.MessageOneofCase.Header
                ? frame.Header
                : throw new RpcException(new Status(StatusCode.InvalidArgument, $"first MakeRequest frame must be a header, got {frame?.MessageCase.ToString() ?? "end of stream"}"));
        }

        /// <summary>Body chunks until the trailer.</summary>
        public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadBodyAsync()
        {
            while (!_trailerSeen && await NextAsync().ConfigureAwait(false) is { } frame)
            {
                switch (frame.MessageCase)
                {
                    case Protocol.Grpctool.HttpRequest.MessageOneofCase.Data:
                        yield return frame.Data.Data_.Memory;
                        break;
                    case Protocol.Grpctool.HttpRequest.MessageOneofCase.Trailer:
                        _trailerSeen = true;
                        yield break;
                    default:
                        throw new RpcException(new Status(StatusCode.InvalidArgument, $"unexpected {frame.MessageCase} frame in a request body"));
                }
            }
        }

        /// <summary>Bytes of an upgraded connection (after the trailer).</summary>
        public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadUpgradeDataAsync()
        {
            while (await NextAsync().ConfigureAwait(false) is { } frame)
            {
                switch (frame.MessageCase)
                {
                    case Protocol.Grpctool.HttpRequest.MessageOneofCase.Trailer when !_trailerSeen:
                        _trailerSeen = true;
                        break;
                    case Protocol.Grpctool.HttpRequest.MessageOneofCase.Data when !_trailerSeen:
                        break;
                    case Protocol.Grpctool.HttpRequest.MessageOneofCase.UpgradeData when _trailerSeen:
                        yield return frame.UpgradeData.Data.Memory;
                        break;
                    default:
                        throw new RpcException(new Status(StatusCode.InvalidArgument, $"unexpected {frame.MessageCase} frame on an upgraded connection"));
                }
            }
        }

        public async Task DrainAsync()
        {
            while (await NextAsync().ConfigureAwait(false) is not null)
            {
            }
        }

        public ValueTask DisposeAsync() => source.DisposeAsync();

        private async Task<Protocol.Grpctool.HttpRequest?> NextAsync() =>
            await source.MoveNextAsync().ConfigureAwait(false) ? Protocol.Grpctool.HttpRequest.Parser.ParseFrom(source.Current) : null;
    }
}
