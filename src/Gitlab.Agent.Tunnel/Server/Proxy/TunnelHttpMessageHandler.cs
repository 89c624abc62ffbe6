using System.Net;
using Gitlab.Agent.Protocol.Grpctool;
using Gitlab.Agent.Protocol.KubernetesApi;
using Gitlab.Agent.Shared;
using Gitlab.Agent.Tunnel.Internal;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.WebUtilities;
using GrpcHttpRequest = Gitlab.Agent.Protocol.Grpctool.HttpRequest;
using GrpcHttpResponse = Gitlab.Agent.Protocol.Grpctool.HttpResponse;
using Values = Gitlab.Agent.Protocol.Prototool.Values;

namespace Gitlab.Agent.Tunnel.Server.Proxy;

/// <summary>
/// An <see cref="HttpMessageHandler"/> whose requests go to an agent's <c>KubernetesApi/MakeRequest</c> through a
/// tunnel (grpctool framing). YARP's forwarder drives it; the agent id and impersonation travel in
/// <see cref="HttpRequestMessage.Options"/>. A <c>101</c> answer to an upgrade request gets a duplex content stream
/// carried in <c>upgradeData</c> frames.
/// </summary>
internal sealed class TunnelHttpMessageHandler(ITunnelConnectionProvider tunnels) : HttpMessageHandler
{
    public static readonly HttpRequestOptionsKey<long> AgentIdKey = new("Gitlab.Agent.Tunnel.AgentId");
    public static readonly HttpRequestOptionsKey<ImpersonationConfig?> ImpersonationKey = new("Gitlab.Agent.Tunnel.Impersonation");

    /// <summary>
    /// <c>KubernetesApi/MakeRequest</c> with a response marshaller that slices body frames out of the payload instead of
    /// copying them. Only for the tunnel call invoker: its payloads are immutable byte strings that outlive the message.
    /// </summary>
    private static readonly Method<GrpcHttpRequest, GrpcHttpResponse> s_makeRequest = new(
        MethodType.DuplexStreaming,
        KubernetesApi.Descriptor.FullName,
        "MakeRequest",
        Marshallers.Create<GrpcHttpRequest>(
            static (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            static context => GrpcHttpRequest.Parser.ParseFrom(context.PayloadAsReadOnlySequence())),
        Marshallers.Create(static (GrpcHttpResponse message, SerializationContext context) => context.Complete(message.ToByteArray()), DeserializeResponse));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(AgentIdKey, out var agentId))
        {
            throw new InvalidOperationException("The request has no agent id option.");
        }

        request.Options.TryGetValue(ImpersonationKey, out var impersonation);
        var upgrade = HttpHeaderRules.IsUpgrade(request.Headers);
        var call = tunnels.GetCallInvoker(agentId).AsyncDuplexStreamingCall(s_makeRequest, null, new CallOptions(cancellationToken: cancellationToken));
        var writer = new FrameWriter(call.RequestStream);
        try
        {
            await writer.WriteAsync(new GrpcHttpRequest { Header = BuildHeader(request, impersonation) }, cancellationToken).ConfigureAwait(false);
            Task body;
            if (request.Content is not null && !upgrade)
            {
                body = CopyBodyAsync(request.Content, writer, cancellationToken);
            }
            else
            {
                try
                {
                    await writer.WriteAsync(new GrpcHttpRequest { Trailer = new GrpcHttpRequest.Types.Trailer() }, cancellationToken).ConfigureAwait(false);
                    if (!upgrade)
                    {
                        await writer.CompleteAsync().ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is InvalidOperationException or RpcException)
                {
                    // The agent answered (or failed) before reading our trailer: the response below tells which.
                }

                body = Task.CompletedTask;
            }

            if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                throw new HttpRequestException("The agent ended the request without a response.");
            }

            var first = call.ResponseStream.Current;
            if (first.MessageCase != GrpcHttpResponse.MessageOneofCase.Header || first.Header.Response is null)
            {
                throw new HttpRequestException($"The agent answered with '{first.MessageCase}' before the response header.");
            }

            var head = first.Header.Response;
            var response = new HttpResponseMessage((HttpStatusCode)head.StatusCode)
            {
                RequestMessage = request,
                Version = HttpVersion.Version11,
                ReasonPhrase = ReasonOf(head),
            };
            var switching = upgrade && head.StatusCode == (int)HttpStatusCode.SwitchingProtocols;
            var content = switching ? (HttpContent)new UpgradedContent(call, writer) : new BodyContent(call, body);
            foreach (var (name, values) in head.Header)
            {
                if (!response.Headers.TryAddWithoutValidation(name, values.Value))
                {
                    content.Headers.TryAddWithoutValidation(name, values.Value);
                }
            }

            response.Content = content;
            return response;
        }
        catch (RpcException e)
        {
            call.Dispose();
            throw new HttpRequestException(e.Status.Detail, e);
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    private static GrpcHttpRequest.Types.Header BuildHeader(HttpRequestMessage request, ImpersonationConfig? impersonation)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        var http = new Protocol.Prototool.HttpRequest
        {
            Method = request.Method.Method,
            UrlPath = Uri.UnescapeDataString(uri.AbsolutePath),
        };
        void Add(Google.Protobuf.Collections.MapField<string, Values> map, string name, IEnumerable<string> values)
        {
            if (!map.TryGetValue(name, out var v))
            {
                v = new Values();
                map[name] = v;
            }

            v.Value.AddRange(values);
        }

        foreach (var (name, values) in request.Headers.NonValidated)
        {
            Add(http.Header, name, values);
        }

        if (request.Content is not null)
        {
            foreach (var (name, values) in request.Content.Headers.NonValidated)
            {
                Add(http.Header, name, values);
            }
        }

        foreach (var (name, values) in QueryHelpers.ParseQuery(uri.Query))
        {
            Add(http.Query, name, values.Select(v => v ?? string.Empty));
        }

        var header = new GrpcHttpRequest.Types.Header
        {
            Request = http,
            ContentLength = request.Content is null ? 0 : request.Content.Headers.ContentLength ?? -1,
        };
        if (impersonation is not null)
        {
            header.Extra = Any.Pack(new HeaderExtra { ImpConfig = impersonation });
        }

        return header;
    }

    private static async Task CopyBodyAsync(HttpContent content, FrameWriter writer, CancellationToken cancellationToken)
    {
        using var stream = new DataFrameStream(writer);
        await content.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        await writer.WriteAsync(new GrpcHttpRequest { Trailer = new GrpcHttpRequest.Types.Trailer() }, cancellationToken).ConfigureAwait(false);
        await writer.CompleteAsync().ConfigureAwait(false);
    }

    private static GrpcHttpResponse DeserializeResponse(DeserializationContext context)
    {
        var payload = context.PayloadAsReadOnlySequence();
        if (GrpctoolDataFrames.TryReadBody(payload, out var tag, out var body))
        {
            switch (tag)
            {
                case GrpctoolDataFrames.ResponseData:
                    return new GrpcHttpResponse { Data = new GrpcHttpResponse.Types.Data { Data_ = UnsafeByteOperations.UnsafeWrap(body) } };
                case GrpctoolDataFrames.ResponseUpgradeData:
                    return new GrpcHttpResponse { UpgradeData = new GrpcHttpResponse.Types.UpgradeData { Data = UnsafeByteOperations.UnsafeWrap(body) } };
            }
        }

        return GrpcHttpResponse.Parser.ParseFrom(payload);
    }

    private static string? ReasonOf(Protocol.Prototool.HttpResponse head)
    {
        var space = head.Status.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 ? head.Status[(space + 1)..] : null;
    }

    /// <summary>Serializes writes to the request stream (body copy and upgraded bytes come from different tasks).</summary>
    internal sealed class FrameWriter(IClientStreamWriter<GrpcHttpRequest> stream)
    {
        private readonly SemaphoreSlim _lock = new(1, 1);
        private bool _completed;

        public async Task WriteAsync(GrpcHttpRequest frame, CancellationToken cancellationToken)
        {
            await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _lock.Release();
            }
        }

        public async Task CompleteAsync()
        {
            await _lock.WaitAsync().ConfigureAwait(false);
            try
            {
                if (!_completed)
                {
                    _completed = true;
                    await stream.CompleteAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                _lock.Release();
            }
        }
    }

    /// <summary>Write-only stream that turns request body bytes into data frames of at most 32 KiB.</summary>
    private sealed class DataFrameStream(FrameWriter writer) : WriteOnlyStream
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (!buffer.IsEmpty)
            {
                var chunk = buffer[..Math.Min(buffer.Length, ChunkSize)];
                await writer.WriteAsync(new GrpcHttpRequest { Data = new GrpcHttpRequest.Types.Data { Data_ = ByteString.CopyFrom(chunk.Span) } }, cancellationToken).ConfigureAwait(false);
                buffer = buffer[chunk.Length..];
            }
        }
    }

    /// <summary>Response body: data frames until the trailer.</summary>
    private sealed class BodyContent(AsyncDuplexStreamingCall<GrpcHttpRequest, GrpcHttpResponse> call, Task requestBody) : StreamedContent(call)
    {
        protected override Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            Task.FromResult<Stream>(new ResponseFrameStream(call, upgraded: false, writer: null, requestBody));

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var source = new ResponseFrameStream(call, upgraded: false, writer: null, requestBody);
            await source.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Content of a <c>101</c>: a duplex stream over upgradeData frames.</summary>
    private sealed class UpgradedContent(AsyncDuplexStreamingCall<GrpcHttpRequest, GrpcHttpResponse> call, FrameWriter writer) : StreamedContent(call)
    {
        protected override Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            Task.FromResult<Stream>(new ResponseFrameStream(call, upgraded: true, writer, Task.CompletedTask));

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            throw new NotSupportedException("An upgraded connection is read through ReadAsStreamAsync.");
    }

    internal const int ChunkSize = 32 * 1024;
}
