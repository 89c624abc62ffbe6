namespace Gitlab.Agent.Tunnel.Server;

/// <summary>KAS-side tunnel settings.</summary>
public sealed class TunnelServerOptions
{
    /// <summary>How long a call waits for a tunnel of its agent before failing with <c>DeadlineExceeded</c> (default 20 s).</summary>
    public TimeSpan FindTimeout { get; set; } = TimeSpan.FromSeconds(20);
}
