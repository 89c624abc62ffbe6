using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
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
                    {
                        if (errors == SslPolicyErrors.None)
                        {
                            return true;
                        }

                        using var chain = new X509Chain();
                        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                        chain.ChainPolicy.CustomTrustStore.Add(SharedTls.Ca);
                        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                        return errors == SslPolicyErrors.RemoteCertificateChainErrors && chain.Build((X509Certificate2)cert!);
                    };
                }

                return GrpcChannel.ForAddress(
                    new UriBuilder(tls ? "https" : "http", address.Host, address.Port).Uri,
                    new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
            default:
                throw new ArgumentException($"Unsupported KAS address {address}");
        }
    }
}
