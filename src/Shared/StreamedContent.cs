using System.Net;

namespace Gitlab.Agent.Shared;

// Compiled into each package that needs it (linked source, see the .csproj files), so it stays internal.

/// <summary>
/// Base for <see cref="HttpContent"/> whose bytes are produced while they are sent: the length is unknown unless given,
/// the serialize overload without a token forwards to the one with, and an owned resource (the call or content it
/// streams from) is disposed with the content.
/// </summary>
/// <param name="owned">Disposed with the content; null when the content owns nothing.</param>
/// <param name="length">The body length when known in advance (sent as <c>Content-Length</c>).</param>
internal abstract class StreamedContent(IDisposable? owned, long? length = null) : HttpContent
{
    private readonly long _length = length ?? -1;

    protected abstract override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken);

    protected sealed override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected sealed override bool TryComputeLength(out long length)
    {
        length = _length;
        return length >= 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            owned?.Dispose();
        }

        base.Dispose(disposing);
    }
}
