using System.Net;
using System.Security.Cryptography.X509Certificates;
using Gitlab.Agent.TestUtilities;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Gitlab.Agent.Tunnel.Bench;

/// <summary>
/// The peer that bounds what any proxy can reach on this machine: a bare YARP reverse proxy (TLS, HTTP/1.1 and HTTP/2,
/// no authentication, no tunnel) in front of the same test cluster. It adds one hop; KAS's path adds two (KAS and
/// agentk), so a ratio this peer misses, KAS's path cannot meet on the same cores either.
/// </summary>
internal static class PlainProxy
{
    public static async Task<(WebApplication App, Uri Address)> StartAsync(Uri cluster, X509Certificate2 clusterCa, string certFile, string keyFile)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddHttpForwarder();
        var certificate = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http1AndHttp2;
            l.UseHttps(certificate);
        }));
        var app = builder.Build();

        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) => errors == System.Net.Security.SslPolicyErrors.None || TestCertificates.ChainsTo(cert, clusterCa);
        app.MapForwarder("/{**path}", cluster.ToString(), new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(10) }, HttpTransformer.Default, new HttpMessageInvoker(handler));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (app, new Uri(address));
    }
}
