namespace Gitlab.Agent.Tunnel.Internal;

/// <summary>
/// This implementation's convention on top of the reverse tunnel protocol: an agent closing an idle stream (pool
/// shrink or shutdown) first sends <c>Error{Unavailable, <see cref="RetiredMessage"/>}</c> without a header. It never
/// reads a request on such a stream, so KAS may replay a request that raced with the close on another tunnel.
/// Upstream agents simply reset the stream; KAS then fails that one request.
/// </summary>
internal static class TunnelSignals
{
    public const string RetiredMessage = "gitlab-agent: idle tunnel closed by the agent";
}
