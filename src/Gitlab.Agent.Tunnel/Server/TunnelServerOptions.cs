namespace Gitlab.Agent.Tunnel.Server;

/// <summary>KAS-side settings of the tunnel and the Kubernetes API proxy (<c>AddTunnel(o =&gt; …)</c>).</summary>
public sealed class TunnelServerOptions
{
    /// <summary>How long a call waits for a tunnel of its agent before failing with <c>DeadlineExceeded</c> (default 20 s).</summary>
    public TimeSpan FindTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Where issued CI job tokens are stored (SQLite; only SHA-256 hashes of the secrets). Default (<see langword="null"/>):
    /// the KAS registry database (<c>registry.sqlite.path</c>), next to agents, users and personal access tokens.
    /// <c>:memory:</c> keeps them in memory.
    /// </summary>
    public string? TokenDatabasePath { get; set; }

    /// <summary>
    /// Path prefix of the proxy on the Kubernetes API listener; overrides <c>agent.kubernetes_api.url_path_prefix</c>
    /// (default <c>/</c>).
    /// </summary>
    public string? UrlPathPrefix { get; set; }

    /// <summary>
    /// URL of the proxy as clients reach it, written into generated kubeconfigs (e.g. <c>https://kas.example.com/k8s-proxy</c>).
    /// Default: the bound Kubernetes API listener address plus the path prefix.
    /// </summary>
    public Uri? ExternalUrl { get; set; }

    /// <summary>PEM file with the CA that signed the proxy's TLS certificate, embedded into generated kubeconfigs (optional).</summary>
    public string? CertificateAuthorityFile { get; set; }

    /// <summary>
    /// How long a proxied request may make no progress before it is cancelled. Default: no limit, because watches and
    /// <c>logs -f</c> can stay silent for a long time (keepalive pings keep each hop open).
    /// </summary>
    public TimeSpan ActivityTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// How long the Kubernetes API proxy reuses a granted decision for a credential (CI job token or personal access
    /// token, per agent) before it verifies the token and reads the agent's <c>ci_access</c>/<c>user_access</c> again;
    /// overrides <c>agent.kubernetes_api.allowed_agent_cache_ttl</c> (default 60 s). <see cref="TimeSpan.Zero"/> turns
    /// caching of granted decisions off. Revocations through this KAS apply at once regardless.
    /// </summary>
    public TimeSpan? AllowedAgentCacheTtl { get; set; }

    /// <summary>
    /// How long the proxy reuses a refusal (401 invalid token, 403 agent unknown or not shared); overrides
    /// <c>agent.kubernetes_api.allowed_agent_cache_error_ttl</c> (default 10 s). <see cref="TimeSpan.Zero"/> turns
    /// caching of refusals off.
    /// </summary>
    public TimeSpan? AllowedAgentCacheErrorTtl { get; set; }
}
