using System.Globalization;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Gitlab.Agent.Kas;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Tunnel.Transport;

/// <summary>
/// Raises Kestrel's HTTP/2 stream limit (for the tunnel pool) and flow-control windows (for agents far away) and, with <c>agent.listen.websocket: true</c>, binds the Kestrel endpoint whose connections are the WebSockets accepted
/// on the agent listener (tagged as agent listener, HTTP/2 only), and the optional plain gRPC listener
/// <c>agent.listen.grpc_address</c> (TLS when the agent listener has a certificate).
/// </summary>
internal sealed class WebSocketAgentListenerSetup(IOptions<KasOptions> kasOptions, WebSocketTunnelEndPoint endPoint) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions options)
    {
        var kas = kasOptions.Value;
        if (!kas.ConfigureKestrel)
        {
            return;
        }

        // One HTTP/2 connection per agent carries up to 500 tunnel streams (Kestrel's default cap is 100).
        options.Limits.Http2.MaxStreamsPerConnection = Math.Max(options.Limits.Http2.MaxStreamsPerConnection, 1000);
        // Agents are usually far away: Kestrel's 1 MiB connection / 768 KiB stream windows would cap one agent's responses
        // at about window / RTT (~20 MB/s at 50 ms). At most 8 MiB per connection waits unread in KAS.
        options.Limits.Http2.InitialConnectionWindowSize = Math.Max(options.Limits.Http2.InitialConnectionWindowSize, 8 * 1024 * 1024);
        options.Limits.Http2.InitialStreamWindowSize = Math.Max(options.Limits.Http2.InitialStreamWindowSize, 4 * 1024 * 1024);
        var listen = kas.Configuration.Agent?.Listen;
        if (listen is not { Websocket: true })
        {
            return;
        }

        options.Listen(endPoint, o =>
        {
            o.UseKasListener(KasListener.Agent);
            o.Protocols = HttpProtocols.Http2;
        });

        if (!string.IsNullOrEmpty(listen.GrpcAddress))
        {
            var (address, port) = Parse(listen.GrpcAddress);
            options.Listen(new IPEndPoint(address, port), o =>
            {
                o.UseKasListener(KasListener.Agent);
                o.Protocols = HttpProtocols.Http2;
                if (!string.IsNullOrEmpty(listen.CertificateFile) && !string.IsNullOrEmpty(listen.KeyFile))
                {
                    var certificate = X509Certificate2.CreateFromPemFile(listen.CertificateFile, listen.KeyFile);
                    o.UseHttps(certificate, https => https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13);
                }
            });
        }
    }

    internal static (IPAddress Address, int Port) Parse(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new InvalidOperationException($"agent.listen.grpc_address '{text}' must be host:port");
        }

        var host = text[..colon].Trim('[', ']');
        if (host.Length == 0)
        {
            return (IPAddress.Any, port);
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return (IPAddress.Loopback, port);
        }

        return IPAddress.TryParse(host, out var ip)
            ? (ip, port)
            : throw new InvalidOperationException($"agent.listen.grpc_address '{text}': host must be an IP address or localhost");
    }
}
