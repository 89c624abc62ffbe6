using System.Text;

namespace Gitlab.Agent.Testing;

/// <summary>
/// The streams of one exec or attach session over the Kubernetes remote-command WebSocket protocol (v4/v5.channel.k8s.io).
/// Write to <see cref="StandardOutput"/>/<see cref="StandardError"/>; read <see cref="StandardInput"/> (ends when the client closes stdin).
/// </summary>
public sealed class ExecSession
{
    internal ExecSession(Stream stdin, Stream stdout, Stream stderr, CancellationToken aborted)
    {
        StandardInput = stdin;
        StandardOutput = stdout;
        StandardError = stderr;
        Aborted = aborted;
    }

    /// <summary>Data the client sends on channel 0 (empty when the client attached no stdin).</summary>
    public Stream StandardInput { get; }

    /// <summary>Data written here goes to the client's stdout (channel 1).</summary>
    public Stream StandardOutput { get; }

    /// <summary>Data written here goes to the client's stderr (channel 2).</summary>
    public Stream StandardError { get; }

    /// <summary>Cancelled when the client disconnects or the server stops.</summary>
    public CancellationToken Aborted { get; }

    /// <summary>Writes UTF-8 text to stdout.</summary>
    /// <param name="text">Text to write.</param>
    /// <returns>A task that completes once the frame was sent.</returns>
    public Task WriteOutputAsync(string text) => StandardOutput.WriteAsync(Encoding.UTF8.GetBytes(text), Aborted).AsTask();

    /// <summary>Writes UTF-8 text to stderr.</summary>
    /// <param name="text">Text to write.</param>
    /// <returns>A task that completes once the frame was sent.</returns>
    public Task WriteErrorAsync(string text) => StandardError.WriteAsync(Encoding.UTF8.GetBytes(text), Aborted).AsTask();

    /// <summary>Reads all of stdin as UTF-8 text (until the client closes it).</summary>
    /// <returns>The text.</returns>
    public async Task<string> ReadInputToEndAsync()
    {
        using var reader = new StreamReader(StandardInput, Encoding.UTF8, leaveOpen: true);
        return await reader.ReadToEndAsync(Aborted);
    }
}
