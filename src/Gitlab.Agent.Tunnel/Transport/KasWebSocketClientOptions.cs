using System.Security.Cryptography.X509Certificates;

namespace Gitlab.Agent.Tunnel.Transport;

/// <summary>How agentk dials KAS over a <c>ws://</c> or <c>wss://</c> address.</summary>
public sealed class KasWebSocketClientOptions
{
    /// <summary>
    /// Extra headers sent with the WebSocket handshake (agentk's <c>--kas-header Name: value</c>). Names may repeat.
    /// </summary>
    public IList<KeyValuePair<string, string>> Headers { get; } = [];

    /// <summary><c>User-Agent</c> of the handshake; agentk sends <c>agentk/&lt;version&gt;/&lt;commit&gt;</c>.</summary>
    public string UserAgent { get; set; } = "agentk";

    /// <summary>
    /// Extra certificate authorities trusted for <c>wss://</c> (agentk's <c>--ca-cert-file</c>), in addition to the system store.
    /// </summary>
    public X509Certificate2Collection CaCertificates { get; } = [];

    /// <summary>Skip TLS certificate verification for <c>wss://</c> (<c>--kas-insecure-skip-tls-verify</c>). For tests only.</summary>
    public bool InsecureSkipTlsVerify { get; set; }

    /// <summary>Server name to verify the KAS certificate against instead of the address host (<c>--kas-tls-server-name</c>).</summary>
    public string? TlsServerName { get; set; }

    /// <summary>
    /// Replaces the TLS settings above with a callback that configures the handshake's TLS client options (agentk's
    /// runtime passes its own policy here).
    /// </summary>
    public Action<System.Net.Security.SslClientAuthenticationOptions>? ConfigureTls { get; set; }

    /// <summary>How long the TCP connect and WebSocket handshake may take (default 20 s, gRPC's minimum connect timeout).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>HTTP/2 keepalive ping interval on the tunnelled connection (default 55 s; <see cref="Timeout.InfiniteTimeSpan"/> turns it off).</summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(55);

    /// <summary>How long to wait for a keepalive ping answer before the connection is closed (default 20 s).</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Adds the PEM certificates in <paramref name="path"/> (agentk's <c>--ca-cert-file</c>) to <see cref="CaCertificates"/>.</summary>
    /// <exception cref="InvalidOperationException">The file cannot be read or holds no certificate.</exception>
    public KasWebSocketClientOptions AddCaCertificateFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            var before = CaCertificates.Count;
            CaCertificates.ImportFromPemFile(path);
            if (CaCertificates.Count == before)
            {
                throw new InvalidOperationException($"CA certificate file '{path}' holds no PEM certificate.");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new InvalidOperationException($"Cannot read CA certificate file '{path}': {e.Message}", e);
        }

        return this;
    }
}
