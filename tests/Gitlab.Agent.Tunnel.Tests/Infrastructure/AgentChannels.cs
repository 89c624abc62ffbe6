using System.Net.Security;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.Tunnel.Transport;
using Grpc.Net.Client;

namespace Gitlab.Agent.Tunnel.Tests.Infrastructure;

/// <summary>Creates agentk-style gRPC channels for each KAS address scheme (what the agentk runtime does in production).</summary>
public static class AgentChannels
{
    public static GrpcChannel Create(Uri address, KasWebSocketClientOptions? wsOptions = null)
    {
        switch (address.Scheme)
        {
            case "ws":
            case "wss":
                wsOptions ??= new KasWebSocketClientOptions();
                if (address.Scheme == "wss" && wsOptions.CaCertificates.Count == 0)
                {
                    wsOptions.CaCertificates.Add(SharedTls.Ca);
                }

                return KasWebSocketTransport.CreateChannel(address, wsOptions);
            case "grpc":
            case "grpcs":
                var tls = address.Scheme == "grpcs";
                var handler = new SocketsHttpHandler
                {
                    EnableMultipleHttp2Connections = true,
                    KeepAlivePingDelay = TimeSpan.FromSeconds(55),
                    KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                    PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                };
                if (tls)
                {
                    handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                        errors == SslPolicyErrors.None || (errors == SslPolicyErrors.RemoteCertificateChainErrors && TestCertificates.ChainsTo(cert, SharedTls.Ca));
                }

                return GrpcChannel.ForAddress(
                    new UriBuilder(tls ? "https" : "http", address.Host, address.Port).Uri,
                    new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
            default:
                throw new ArgumentException($"Unsupported KAS address {address}");
        }
    }
}
