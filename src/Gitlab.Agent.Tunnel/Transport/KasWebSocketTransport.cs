using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace Gitlab.Agent.Tunnel.Transport;

/// <summary>
/// Agent side of the <c>ws://</c>/<c>wss://</c> transport: gRPC's HTTP/2 runs unencrypted inside one WebSocket
/// (subprotocol <c>ws-tunnel</c>, binary messages, no compression); TLS, if any, is the <c>wss://</c> layer.
/// </summary>
public static class KasWebSocketTransport
{
    /// <summary>Whether <paramref name="address"/> uses the <c>ws</c> or <c>wss</c> scheme.</summary>
    public static bool IsWebSocketAddress(Uri address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.Scheme is "ws" or "wss";
    }

    /// <summary>
    /// Creates an HTTP handler whose every connection is a new WebSocket to <paramref name="address"/>; use it as
    /// <see cref="GrpcChannelOptions.HttpHandler"/> of a channel created for <see cref="GetChannelAddress"/>.
    /// HTTP/2 keepalive pings are on (<see cref="KasWebSocketClientOptions.KeepAlivePingDelay"/>) and more HTTP/2
    /// connections are opened when KAS's stream limit is reached.
    /// </summary>
    public static SocketsHttpHandler CreateHttpHandler(Uri address, KasWebSocketClientOptions options)
    {
        ValidateAddress(address);
        ArgumentNullException.ThrowIfNull(options);
        var handshake = new HttpMessageInvoker(CreateHandshakeHandler(address, options));
        return new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) => await ConnectAsync(address, options, handshake, cancellationToken).ConfigureAwait(false),
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = options.ConnectTimeout,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
    }

    /// <summary>The plain-HTTP address a gRPC channel over <see cref="CreateHttpHandler"/> is created for.</summary>
    public static Uri GetChannelAddress(Uri address)
    {
        ValidateAddress(address);
        return new UriBuilder(Uri.UriSchemeHttp, address.Host, address.Port).Uri;
    }

    /// <summary>Creates a gRPC channel to KAS over a WebSocket transport.</summary>
    public static GrpcChannel CreateChannel(Uri address, KasWebSocketClientOptions options, GrpcChannelOptions? channelOptions = null)
    {
        channelOptions ??= new GrpcChannelOptions();
        channelOptions.HttpHandler = CreateHttpHandler(address, options);
        channelOptions.DisposeHttpClient = true;
        channelOptions.MaxReceiveMessageSize ??= WebSocketTunnel.MaxMessageSize;
        return GrpcChannel.ForAddress(GetChannelAddress(address), channelOptions);
    }

    /// <summary>
    /// Performs the WebSocket handshake with KAS and returns the socket as a byte stream for HTTP/2.
    /// </summary>
    /// <exception cref="IOException">KAS cannot be reached or refused the handshake; the message says which.</exception>
    public static async ValueTask<Stream> ConnectAsync(Uri address, KasWebSocketClientOptions options, CancellationToken cancellationToken = default)
    {
        ValidateAddress(address);
        ArgumentNullException.ThrowIfNull(options);
        using var handshake = new HttpMessageInvoker(CreateHandshakeHandler(address, options));
        return await ConnectAsync(address, options, handshake, cancellationToken).ConfigureAwait(false);
    }

    private static SocketsHttpHandler CreateHandshakeHandler(Uri address, KasWebSocketClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = options.ConnectTimeout,
            // A WebSocket owns its connection; nothing to pool.
            PooledConnectionLifetime = TimeSpan.Zero,
        };
        if (address.Scheme == "wss")
        {
            if (options.ConfigureTls is { } configure)
            {
                configure(handler.SslOptions);
            }
            else
            {
                handler.SslOptions.EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
                handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                    ValidateServerCertificate(options, certificate as X509Certificate2, chain, errors);
            }
        }

        return handler;
    }

    private static async ValueTask<Stream> ConnectAsync(Uri address, KasWebSocketClientOptions options, HttpMessageInvoker handshake, CancellationToken cancellationToken)
    {
        var ws = new ClientWebSocket();
        try
        {
            ws.Options.AddSubProtocol(WebSocketTunnel.SubProtocol);
            ws.Options.DangerousDeflateOptions = null;
            ws.Options.CollectHttpResponseDetails = true;
            ws.Options.SetRequestHeader("User-Agent", options.UserAgent);
            foreach (var (name, value) in options.Headers)
            {
                ws.Options.SetRequestHeader(name, value);
            }

            if (address.Scheme == "wss" && options.ConfigureTls is null && options.TlsServerName is { Length: > 0 } serverName)
            {
                // SNI follows the Host header.
                ws.Options.SetRequestHeader("Host", address.IsDefaultPort ? serverName : $"{serverName}:{address.Port}");
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            try
            {
                await ws.ConnectAsync(address, handshake, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new IOException($"Connecting to KAS at {address} timed out after {options.ConnectTimeout.TotalSeconds:0.#} s.");
            }

            if (ws.SubProtocol != WebSocketTunnel.SubProtocol)
            {
                throw new IOException(
                    $"KAS at {address} accepted the WebSocket but not the '{WebSocketTunnel.SubProtocol}' subprotocol (got '{ws.SubProtocol}'); is it a GitLab agent server?");
            }

            ws.HttpResponseHeaders = null;
            return WebSocketStream.Create(ws, WebSocketMessageType.Binary, ownsWebSocket: true);
        }
        catch (WebSocketException e)
        {
            var status = ws.HttpStatusCode;
            ws.Dispose();
            throw Describe(address, e, status);
        }
        catch
        {
            ws.Dispose();
            throw;
        }
    }

    private static IOException Describe(Uri address, WebSocketException e, HttpStatusCode status)
    {
        // Could not even reach the server: DNS, refused, unreachable.
        if (status == 0 && e.InnerException is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } inner)
        {
            return new IOException($"Cannot connect to KAS at {address}: {inner.Message}", e);
        }

        var what = status == 0 ? Flatten(e) : $"HTTP {(int)status} {status}";
        return new IOException(
            $"KAS at {address} did not accept a WebSocket handshake: {what}. Is the address a grpc:// listener? " +
            "Use grpc:// or grpcs:// for a plain gRPC agent listener, ws:// or wss:// only when KAS has agent.listen.websocket: true (mind a trailing '/' in the path).",
            e);
    }

    private static string Flatten(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
        {
            parts.Add(x.Message);
        }

        return string.Join(" -> ", parts.Distinct(StringComparer.Ordinal));
    }

    private static bool ValidateServerCertificate(KasWebSocketClientOptions options, X509Certificate2? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (options.InsecureSkipTlsVerify)
        {
            return true;
        }

        if (certificate is null)
        {
            return false;
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 && options.TlsServerName is { Length: > 0 } name)
        {
            if (!certificate.MatchesHostname(name))
            {
                return false;
            }

            errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch;
        }

        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || options.CaCertificates.Count == 0)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(options.CaCertificates);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return custom.Build(certificate);
    }

    private static void ValidateAddress(Uri address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!IsWebSocketAddress(address))
        {
            throw new ArgumentException($"KAS address '{address}' is not a ws:// or wss:// address.", nameof(address));
        }
    }
}
