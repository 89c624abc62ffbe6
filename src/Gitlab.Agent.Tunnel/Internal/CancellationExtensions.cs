namespace Gitlab.Agent.Tunnel.Internal;

internal static class CancellationExtensions
{
    /// <summary>
    /// Cancels synchronously, running the registered callbacks on this thread. On a per-request path this replaces
    /// <see cref="CancellationTokenSource.CancelAsync"/>, which costs a thread-pool hop each time; the callbacks it
    /// runs here only complete tasks and never block.
    /// </summary>
    public static void CancelInline(this CancellationTokenSource source) => source.Cancel();
}
