using System.Net;
using Gitlab.Agent.Shared;

namespace Gitlab.Agent.Agentk.Kas;

/// <summary>
/// Sends the body of every HTTP/2 request to KAS (every gRPC call) through a <see cref="CoalescingWriteStream"/>:
/// grpc-dotnet flushes after each message, which costs one HTTP/2 write, one TCP segment and one wake-up on KAS per
/// message; coalesced, the messages a call writes back to back (a tunnel answer's frames) share them.
/// </summary>
internal sealed class CoalescingWritesHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is { } content && request.Version >= HttpVersion.Version20)
        {
            request.Content = new CoalescingContent(content);
        }

        return base.SendAsync(request, cancellationToken);
    }

    /// <summary>Wraps a streamed content: same headers, body written through a <see cref="CoalescingWriteStream"/>.</summary>
    private sealed class CoalescingContent : StreamedContent
    {
        private readonly HttpContent _inner;

        public CoalescingContent(HttpContent inner)
            : base(inner)
        {
            _inner = inner;
            foreach (var (name, values) in inner.Headers.NonValidated)
            {
                Headers.TryAddWithoutValidation(name, values);
            }
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var coalescing = new CoalescingWriteStream(stream);
            await _inner.CopyToAsync(coalescing, context, cancellationToken).ConfigureAwait(false);
            await coalescing.DrainAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
