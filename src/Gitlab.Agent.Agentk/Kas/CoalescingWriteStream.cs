using System.Buffers;
using Gitlab.Agent.Shared;

namespace Gitlab.Agent.Agentk.Kas;

/// <summary>
/// Write side of a streamed request body that coalesces small writes: they are copied into a buffer, and a flush is
/// deferred to a thread-pool work item queued behind the current one, so that the messages a caller writes back to
/// back (a tunnel answer: header, data and trailer frames) leave in one HTTP/2 write instead of one per message.
/// Large writes go straight through, after whatever is buffered. One writer at a time (as gRPC guarantees); the
/// deferred flush runs concurrently and takes the inner stream under a lock, so bytes keep their order.
/// </summary>
internal sealed class CoalescingWriteStream(Stream inner) : WriteOnlyStream
{
    /// <summary>Writes at least this long are not copied into the buffer.</summary>
    internal const int DirectWriteSize = 16 * 1024;

    private readonly SemaphoreSlim _innerLock = new(1, 1);
    private readonly object _bufferLock = new();
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    private int _buffered;
    private bool _flushQueued;
    private bool _unflushed;
    private Exception? _failure;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfFailed();
        if (buffer.Length < DirectWriteSize)
        {
            lock (_bufferLock)
            {
                if (_buffered + buffer.Length > _buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _buffered + buffer.Length));
                    _buffer.AsSpan(0, _buffered).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(_buffer);
                    _buffer = larger;
                }

                buffer.Span.CopyTo(_buffer.AsSpan(_buffered));
                _buffered += buffer.Length;
                if (_buffered < DirectWriteSize)
                {
                    return;
                }
            }

            // Enough is buffered: write it now (this also applies back-pressure to the writer).
            await WriteBufferedAsync(ReadOnlyMemory<byte>.Empty, flush: false, cancellationToken).ConfigureAwait(false);
            return;
        }

        await WriteBufferedAsync(buffer, flush: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues the flush behind the current work item, so writes that follow at once join it.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        ThrowIfFailed();
        lock (_bufferLock)
        {
            if (_flushQueued)
            {
                return Task.CompletedTask;
            }

            _flushQueued = true;
        }

        ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.FlushQueuedAsync(), this, preferLocal: true);
        return Task.CompletedTask;
    }

    /// <summary>Writes and flushes everything buffered (the end of the body).</summary>
    public Task DrainAsync(CancellationToken cancellationToken)
    {
        ThrowIfFailed();
        return WriteBufferedAsync(ReadOnlyMemory<byte>.Empty, flush: true, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_bufferLock)
            {
                // A queued flush may still run: it finds nothing buffered and a replaced (empty) buffer.
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
                _buffered = 0;
            }
        }

        base.Dispose(disposing);
    }

    private async Task FlushQueuedAsync()
    {
        lock (_bufferLock)
        {
            _flushQueued = false;
        }

        try
        {
            await WriteBufferedAsync(ReadOnlyMemory<byte>.Empty, flush: true, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Recorded; the writer sees it on its next write or flush (the response side fails too).
        }
    }

    /// <summary>Under the inner-stream lock: the buffered bytes, then <paramref name="direct"/>, then an optional flush.</summary>
    private async Task WriteBufferedAsync(ReadOnlyMemory<byte> direct, bool flush, CancellationToken cancellationToken)
    {
        await _innerLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        byte[]? taken = null;
        try
        {
            int length;
            lock (_bufferLock)
            {
                length = _buffered;
                if (length > 0)
                {
                    taken = _buffer;
                    _buffer = ArrayPool<byte>.Shared.Rent(4096);
                    _buffered = 0;
                }
            }

            if (length > 0)
            {
                _unflushed = true;
                await inner.WriteAsync(taken.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            }

            if (!direct.IsEmpty)
            {
                _unflushed = true;
                await inner.WriteAsync(direct, cancellationToken).ConfigureAwait(false);
            }

            if (flush && _unflushed)
            {
                _unflushed = false;
                await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            _failure ??= e;
            throw;
        }
        finally
        {
            if (taken is not null)
            {
                ArrayPool<byte>.Shared.Return(taken);
            }

            _innerLock.Release();
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw new IOException($"Writing the request body failed: {failure.Message}", failure);
        }
    }
}
