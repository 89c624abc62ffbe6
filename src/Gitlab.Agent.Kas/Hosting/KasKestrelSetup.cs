using System.Globalization;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Kas;

/// <summary>
/// Binds the KAS listeners in Kestrel from the configuration: agent (HTTP/2 only: h2c for <c>grpc://</c>, TLS ≥ 1.2 for
/// <c>grpcs://</c>), api, observability and — when configured — Kubernetes API (HTTP/1.1; HTTP/1.1 and HTTP/2 with TLS).
/// Each connection is tagged with its listener; server keepalive pings every 50 s.
/// </summary>
internal sealed class KasKestrelSetup(KasRuntimeSettings settings, KasAddresses addresses) : IConfigureOptions<KestrelServerOptions>
{
    public static readonly TimeSpan KeepAlivePingDelay = TimeSpan.FromSeconds(50);

    public void Configure(KestrelServerOptions options)
    {
        if (!settings.Options.ConfigureKestrel)
        {
            return;
        }

        options.Limits.Http2.KeepAlivePingDelay = KeepAlivePingDelay;
        options.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
        foreach (var listener in settings.Listeners)
        {
            Listen(options, listener);
        }
    }

    private void Listen(KestrelServerOptions options, ListenerSettings listener)
    {
        void Configure(ListenOptions listen)
        {
            KasListenerTag.Use(listen, listener.Listener);
            // Without TLS there is no ALPN, so Kestrel cannot offer both HTTP/1.1 and HTTP/2 on one port: the agent
            // listener is then h2c only, the others HTTP/1.1 only (gRPC on the api listener needs TLS).
            // With agent.listen.websocket the agent socket takes WebSocket upgrades (HTTP/1.1); the gRPC connections
            // inside them are served by the transport's own endpoint (see KasListenOptionsExtensions.UseKasListener).
            var agentHttp2Only = listener.Listener == KasListener.Agent && !settings.AgentWebSocket;
            listen.Protocols = agentHttp2Only ? HttpProtocols.Http2
                : listener.IsTls ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
            if (listener.IsTls)
            {
                var certificate = LoadCertificate(listener);
                listen.UseHttps(certificate, https => https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13);
            }

            addresses.Register(listener.Listener, listen, listener.IsTls);
        }

        if (string.Equals(listener.Network, "unix", StringComparison.OrdinalIgnoreCase))
        {
            options.ListenUnixSocket(listener.Address, Configure);
            return;
        }

        var (address, port) = ParseAddress(listener);
        options.Listen(new IPEndPoint(address, port), Configure);
    }

    /// <summary>Parses <c>host:port</c> (<c>[::1]:port</c>, <c>localhost:port</c>, <c>:port</c> = all interfaces).</summary>
    internal static (IPAddress Address, int Port) ParseAddress(ListenerSettings listener)
    {
        var key = KeyOf(listener.Listener);
        var text = listener.Address;
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new InvalidOperationException($"{key}.address '{text}' must be host:port (port 0 picks a free port)");
        }

        var host = text[..colon].Trim('[', ']');
        IPAddress address;
        if (host.Length == 0)
        {
            address = IPAddress.Any;
        }
        else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host, out address!))
        {
            throw new InvalidOperationException($"{key}.address '{text}': host must be an IP address or localhost");
        }

        return (address, port);
    }

    private static X509Certificate2 LoadCertificate(ListenerSettings listener)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(listener.CertificateFile!, listener.KeyFile);
        }
        catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException(
                $"{KeyOf(listener.Listener)}: cannot load certificate_file '{listener.CertificateFile}' / key_file '{listener.KeyFile}': {ex.Message}", ex);
        }
    }

    internal static string KeyOf(KasListener listener) => listener switch
    {
        KasListener.Agent => "agent.listen",
        KasListener.Api => "api.listen",
        KasListener.KubernetesApi => "agent.kubernetes_api.listen",
        _ => "observability.listen",
    };
}
