namespace Gitlab.Agent.Shared;

// Compiled into each package that needs it (linked source, see the .csproj files), so it stays internal.

/// <summary>Base for streams that only implement <see cref="Stream.WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
internal abstract class WriteOnlyStream : AsyncOnlyStream
{
    public override bool CanRead => false;

    public override bool CanWrite => true;

    public abstract override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default);
}
