namespace Gitlab.Agent.Agentk.Kas;

/// <summary>The built-in transport: <c>grpc://</c> is gRPC over cleartext HTTP/2 (h2c), <c>grpcs://</c> gRPC over TLS.</summary>
internal sealed class GrpcKasTransport : IKasTransport
{
    public IReadOnlyCollection<string> Schemes { get; } = ["grpc", "grpcs"];

    public KasTransportChannel CreateChannel(KasTransportContext context)
    {
        var secure = context.Address.Scheme == "grpcs";
        var port = context.Address.IsDefaultPort || context.Address.Port <= 0 ? (secure ? 443 : 80) : context.Address.Port;
        var builder = new UriBuilder(secure ? Uri.UriSchemeHttps : Uri.UriSchemeHttp, context.Address.Host, port);
        HttpMessageHandler handler = context.CreateHttpHandler();
        if (secure && context.TlsServerName is { } serverName)
        {
            // SocketsHttpHandler takes SNI from the Host header; like grpc-go, :authority then carries the server name too.
            handler = new ServerNameHandler(serverName, port, handler);
        }

        return new KasTransportChannel(builder.Uri, handler);
    }

    private sealed class ServerNameHandler(string serverName, int port, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private readonly string _host = port == 443 ? serverName : $"{serverName}:{port}";

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Host = _host;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
