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
        return new KasTransportChannel(builder.Uri, context.CreateHttpHandler());
    }
}
