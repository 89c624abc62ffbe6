using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Gitlab.Agent.Agentk.Kas;

/// <summary>
/// Everything a <see cref="IKasTransport"/> needs from the agentk settings: the KAS address, TLS policy
/// (<c>--ca-cert-file</c>, <c>--kas-tls-server-name</c>, <c>--kas-insecure-skip-tls-verify</c>), extra headers,
/// the <c>User-Agent</c> and the keepalive interval.
/// </summary>
public sealed class KasTransportContext
{
    private readonly X509Certificate2Collection _extraRoots;

    internal KasTransportContext(
        Uri address,
        string userAgent,
        IReadOnlyList<KeyValuePair<string, string>> headers,
        X509Certificate2Collection extraRoots,
        string? tlsServerName,
        bool insecureSkipTlsVerify,
        TimeSpan keepAlivePingDelay)
    {
        Address = address;
        UserAgent = userAgent;
        Headers = headers;
        _extraRoots = extraRoots;
        TlsServerName = string.IsNullOrEmpty(tlsServerName) ? null : tlsServerName;
        InsecureSkipTlsVerify = insecureSkipTlsVerify;
        KeepAlivePingDelay = keepAlivePingDelay;
    }

    /// <summary>The <c>--kas-address</c> URL as given.</summary>
    public Uri Address { get; }

    /// <summary><c>agentk/&lt;version&gt;/&lt;commit&gt;</c>.</summary>
    public string UserAgent { get; }

    /// <summary>The <c>--kas-header</c> values (WebSocket transports send them with the handshake).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The <c>--kas-tls-server-name</c> override, or <see langword="null"/>.</summary>
    public string? TlsServerName { get; }

    /// <summary>Whether certificate verification is disabled (<c>--kas-insecure-skip-tls-verify</c>).</summary>
    public bool InsecureSkipTlsVerify { get; }

    /// <summary>HTTP/2 keepalive ping interval (55 s, below the usual 60 s load-balancer idle timeout).</summary>
    public TimeSpan KeepAlivePingDelay { get; }

    /// <summary>
    /// Applies agentk's TLS policy: TLS 1.2 or newer, SNI and name check against <see cref="TlsServerName"/> or the
    /// address host, system roots plus <c>--ca-cert-file</c>, or no verification when insecure.
    /// </summary>
    public void ConfigureTls(SslClientAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.TargetHost = TlsServerName ?? Address.IdnHost;
        options.EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
        options.RemoteCertificateValidationCallback = ValidateServerCertificate;
    }

    /// <summary>
    /// Creates a <see cref="SocketsHttpHandler"/> with agentk's keepalive (<see cref="KeepAlivePingDelay"/>, pings
    /// even without active calls) and TLS policy. Transports add their own <c>ConnectCallback</c> if they need one.
    /// </summary>
    public SocketsHttpHandler CreateHttpHandler()
    {
        var handler = new SocketsHttpHandler
        {
            KeepAlivePingDelay = KeepAlivePingDelay,
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            AllowAutoRedirect = false,
            UseCookies = false,
        };
        ConfigureTls(handler.SslOptions);
        return handler;
    }

    /// <summary>Why the last certificate was rejected (for example <c>UntrustedRoot</c>), for error messages.</summary>
    internal string? LastTlsFailure { get; private set; }

    internal bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (InsecureSkipTlsVerify || errors == SslPolicyErrors.None)
        {
            return true;
        }

        var failures = new List<string>();
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            failures.Add(nameof(SslPolicyErrors.RemoteCertificateNotAvailable));
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            failures.Add(nameof(SslPolicyErrors.RemoteCertificateNameMismatch));
        }

        // Chain errors can be fixed by the extra roots (--ca-cert-file); a name mismatch cannot.
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors) && !TrustedByExtraRoots(certificate, chain, failures))
        {
            failures.Add(nameof(SslPolicyErrors.RemoteCertificateChainErrors));
        }

        if (failures.Count == 0)
        {
            return true;
        }

        LastTlsFailure = string.Join(", ", failures.Distinct());
        return false;
    }

    private bool TrustedByExtraRoots(X509Certificate? certificate, X509Chain? chain, List<string> failures)
    {
        if (certificate is null || _extraRoots.Count == 0)
        {
            if (chain is not null)
            {
                failures.AddRange(chain.ChainStatus.Select(s => s.Status.ToString()));
            }

            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_extraRoots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (custom.Build(leaf))
        {
            return true;
        }

        failures.AddRange(custom.ChainStatus.Select(s => s.Status.ToString()));
        return false;
    }
}
