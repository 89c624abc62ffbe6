using System.Buffers;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Gitlab.Agent.Shared;

namespace Gitlab.Agent.Tunnel.Agent;

/// <summary>
/// Minimal HTTP/1.1 client for requests whose header names repeat (several <c>Impersonate-Group</c> or
/// <c>Impersonate-Extra-*</c> values): the API server reads each header line as one value, but
/// <see cref="System.Net.Http.SocketsHttpHandler"/> joins repeated names into one comma-separated line. One connection
/// per request (no pooling); bodies with Content-Length or chunked; <c>101</c> hands over the raw connection.
/// </summary>
internal sealed class RawHttp1Client(Uri baseAddress, Func<SslClientAuthenticationOptions> tlsOptions)
{
    private static readonly byte[] s_crlf = "\r\n"u8.ToArray();

    public async Task<ClusterResponse> SendAsync(ClusterRequest request, CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        Stream? stream = null;
        try
        {
            await client.ConnectAsync(baseAddress.Host, baseAddress.Port, cancellationToken).ConfigureAwait(false);
            stream = client.GetStream();
            if (baseAddress.Scheme == Uri.UriSchemeHttps)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                var options = tlsOptions();
                options.ApplicationProtocols = [SslApplicationProtocol.Http11];
                await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
                stream = ssl;
            }

            await WriteHeadAsync(stream, request, cancellationToken).ConfigureAwait(false);
            if (request.WriteBody is { } writeBody)
            {
                if (request.ContentLength is not null)
                {
                    await writeBody(stream, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await using var chunked = new ChunkedWriteStream(stream);
                    await writeBody(chunked, cancellationToken).ConfigureAwait(false);
                    await chunked.FinishAsync(cancellationToken).ConfigureAwait(false);
                }

                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            var reader = new ResponseReader(stream);
            var (status, reason, headers) = await reader.ReadHeadAsync(cancellationToken).ConfigureAwait(false);
            Stream body;
            if (status == 101)
            {
                body = new PrefixedDuplexStream(reader.TakeBuffered(), stream);
            }
            else if (request.Method == "HEAD" || status is 204 or 304 || (status >= 100 && status < 200))
            {
                body = Stream.Null;
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            else if (headers.Any(h => h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && h.Value.Contains("chunked", StringComparison.OrdinalIgnoreCase)))
            {
                body = new ChunkedReadStream(reader);
            }
            else if (headers.FirstOrDefault(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Value is { } length
                && long.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out var contentLength))
            {
                body = new LengthReadStream(reader, contentLength);
            }
            else
            {
                body = new LengthReadStream(reader, long.MaxValue);
            }

            return new ClusterResponse(status, reason, headers, body, client);
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            client.Dispose();
            throw;
        }
    }

    private async Task WriteHeadAsync(Stream stream, ClusterRequest request, CancellationToken cancellationToken)
    {
        var head = new StringBuilder();
        head.Append(request.Method).Append(' ').Append(request.PathAndQuery).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(baseAddress.Authority).Append("\r\n");
        foreach (var (name, value) in request.Headers)
        {
            if (value.Contains('\r', StringComparison.Ordinal) || value.Contains('\n', StringComparison.Ordinal))
            {
                throw new HttpRequestException($"Header '{name}' has a line break in its value.");
            }

            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        if (request.WriteBody is not null)
        {
            head.Append(request.ContentLength is { } n ? $"Content-Length: {n.ToString(CultureInfo.InvariantCulture)}\r\n" : "Transfer-Encoding: chunked\r\n");
        }

        head.Append("\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(head.ToString()), cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Buffered reader of the response head and body framing.</summary>
    private sealed class ResponseReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        public Stream Stream => stream;

        public async Task<(int Status, string Reason, List<KeyValuePair<string, string>> Headers)> ReadHeadAsync(CancellationToken cancellationToken)
        {
            var statusLine = await ReadLineAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new HttpRequestException("The API server closed the connection before answering.");
            var parts = statusLine.Split(' ', 3);
            if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            {
                throw new HttpRequestException($"Invalid HTTP status line from the API server: '{statusLine}'.");
            }

            var headers = new List<KeyValuePair<string, string>>();
            while (await ReadLineAsync(cancellationToken).ConfigureAwait(false) is { Length: > 0 } line)
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    throw new HttpRequestException($"Invalid HTTP header line from the API server: '{line}'.");
                }

                headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
            }

            if (status == 100)
            {
                return await ReadHeadAsync(cancellationToken).ConfigureAwait(false);
            }

            return (status, parts.Length > 2 ? parts[2] : string.Empty, headers);
        }

        public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var span = _buffer.AsSpan(_start, _end - _start);
                var lf = span.IndexOf((byte)'\n');
                if (lf >= 0)
                {
                    var line = Encoding.UTF8.GetString(span[..lf]).TrimEnd('\r');
                    _start += lf + 1;
                    return line;
                }

                if (!await FillAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }
            }
        }

        /// <summary>Reads up to <paramref name="max"/> bytes: buffered ones first, then from the connection.</summary>
        public async ValueTask<int> ReadAsync(Memory<byte> destination, long max, CancellationToken cancellationToken)
        {
            var limit = (int)Math.Min(destination.Length, max);
            if (_end > _start)
            {
                var n = Math.Min(limit, _end - _start);
                _buffer.AsMemory(_start, n).CopyTo(destination);
                _start += n;
                return n;
            }

            return await stream.ReadAsync(destination[..limit], cancellationToken).ConfigureAwait(false);
        }

        public ReadOnlyMemory<byte> TakeBuffered()
        {
            var rest = _buffer.AsMemory(_start, _end - _start).ToArray();
            _start = _end = 0;
            return rest;
        }

        private async Task<bool> FillAsync(CancellationToken cancellationToken)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                throw new HttpRequestException("An HTTP header line from the API server is too long.");
            }

            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            _end += read;
            return read > 0;
        }
    }

    private abstract class ReadOnlyBodyStream : AsyncOnlyStream
    {
        public override bool CanRead => true;

        public override bool CanWrite => false;

        public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);
    }

    private sealed class LengthReadStream(ResponseReader reader, long length) : ReadOnlyBodyStream
    {
        private long _left = length;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left == 0 || buffer.IsEmpty)
            {
                return 0;
            }

            var n = await reader.ReadAsync(buffer, _left, cancellationToken).ConfigureAwait(false);
            if (n == 0 && _left != long.MaxValue)
            {
                throw new IOException("The API server closed the connection before the end of the response body.");
            }

            _left = _left == long.MaxValue ? _left : _left - n;
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                reader.Stream.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private sealed class ChunkedReadStream(ResponseReader reader) : ReadOnlyBodyStream
    {
        private long _chunkLeft;
        private bool _done;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_done || buffer.IsEmpty)
            {
                return 0;
            }

            if (_chunkLeft == 0)
            {
                var sizeLine = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? throw new IOException("Truncated chunked response.");
                var semicolon = sizeLine.IndexOf(';', StringComparison.Ordinal);
                var size = long.Parse(semicolon >= 0 ? sizeLine[..semicolon] : sizeLine, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { Length: > 0 })
                    {
                        // Trailer fields are dropped.
                    }

                    _done = true;
                    return 0;
                }

                _chunkLeft = size;
            }

            var n = await reader.ReadAsync(buffer, _chunkLeft, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("The API server closed the connection in the middle of a chunk.");
            }

            _chunkLeft -= n;
            if (_chunkLeft == 0)
            {
                await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }

            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                reader.Stream.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Writes a chunked request body.</summary>
    private sealed class ChunkedWriteStream(Stream inner) : WriteOnlyStream
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty)
            {
                return;
            }

            await inner.WriteAsync(Encoding.ASCII.GetBytes(buffer.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), cancellationToken).ConfigureAwait(false);
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            await inner.WriteAsync(s_crlf, cancellationToken).ConfigureAwait(false);
        }

        public async Task FinishAsync(CancellationToken cancellationToken) => await inner.WriteAsync("0\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    }

    /// <summary>The connection after a 101: bytes already buffered first, then the socket; writes go straight out.</summary>
    private sealed class PrefixedDuplexStream(ReadOnlyMemory<byte> prefix, Stream inner) : AsyncOnlyStream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_prefix.IsEmpty)
            {
                var n = Math.Min(buffer.Length, _prefix.Length);
                _prefix[..n].CopyTo(buffer);
                _prefix = _prefix[n..];
                return n;
            }

            return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
