namespace Gitlab.Agent.Shared;

// Compiled into each package that needs it (linked source, see the .csproj files), so it stays internal.

/// <summary>
/// Base for non-seekable streams used only asynchronously through the <see cref="Memory{T}"/> overloads: the
/// <see cref="byte"/>[] overloads forward to them, synchronous reads and writes and everything about length and
/// position throw <see cref="NotSupportedException"/>, and flushing does nothing.
/// </summary>
/// <remarks>
/// A subclass overrides <see cref="ReadAsync(Memory{byte}, CancellationToken)"/> and/or
/// <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> together with <see cref="Stream.CanRead"/> and
/// <see cref="Stream.CanWrite"/>. The Memory overloads not overridden throw <see cref="NotSupportedException"/>:
/// <see cref="Stream"/>'s own versions call the <see cref="byte"/>[] overloads, which here call them back.
/// </remarks>
internal abstract class AsyncOnlyStream : Stream
{
    /// <summary>Always <see langword="false"/>.</summary>
    public override bool CanSeek => false;

    /// <summary>Not supported.</summary>
    public override long Length => throw new NotSupportedException();

    /// <summary>Not supported.</summary>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Does nothing.</summary>
    public override void Flush()
    {
    }

    /// <summary>Does nothing.</summary>
    /// <returns>A completed task.</returns>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Not supported: use <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>.</summary>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Use ReadAsync.");

    /// <summary>Not supported: use <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Use WriteAsync.");

    /// <summary>Not supported.</summary>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <summary>Not supported.</summary>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Forwards to <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>.</summary>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Forwards to <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Not supported unless a subclass overrides it.</summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    /// <summary>Not supported unless a subclass overrides it.</summary>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();
}
