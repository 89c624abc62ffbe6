using System.Security.Cryptography.X509Certificates;
using Gitlab.Agent.Agentk.Hosting;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Agentk.Kas;

/// <summary>
/// The single channel to KAS. Created on first use from <see cref="AgentkOptions"/> and the <see cref="IKasTransport"/>
/// registered for the address scheme; adds the bearer token, <c>--kas-header</c> metadata and gzip to every call.
/// </summary>
internal sealed class KasConnection : IKasConnection, IDisposable
{
    /// <summary>Client keepalive ping interval, below the common 60 s idle timeout of load balancers.</summary>
    internal static readonly TimeSpan KeepAlivePingDelay = TimeSpan.FromSeconds(55);

    private readonly Lock _lock = new();
    private readonly AgentkOptions _options;
    private readonly List<IKasTransport> _transports;
    private (GrpcChannel Channel, CallInvoker Invoker)? _channel;
    private KasTransportContext? _context;

    public KasConnection(IOptions<AgentkOptions> options, IEnumerable<IKasTransport> transports)
    {
        _options = options.Value;
        Address = KasAddress.Parse(_options.KasAddress);
        _transports = transports.ToList();
    }

    public Uri Address { get; }

    /// <summary>Why KAS's certificate was last rejected, if it was.</summary>
    internal string? LastTlsFailure => _context?.LastTlsFailure;

    /// <summary>Created on first use; a failure (say, an unreadable token file) is not cached, so the next call retries.</summary>
    public CallInvoker CallInvoker
    {
        get
        {
            lock (_lock)
            {
                _channel ??= Create(_options, _transports);
                return _channel.Value.Invoker;
            }
        }
    }

    private (GrpcChannel, CallInvoker) Create(AgentkOptions options, IReadOnlyList<IKasTransport> transports)
    {
        var transport = KasAddress.FindTransport(Address, transports);
        var context = new KasTransportContext(
            Address,
            AgentkVersion.UserAgent,
            options.KasHeaders.ToList(),
            LoadExtraRoots(options.CaCertFile),
            options.KasTlsServerName,
            options.KasInsecureSkipTlsVerify,
            KeepAlivePingDelay);
        var authorization = "Bearer " + AgentToken.Read(options);
        _context = context;
        var target = transport.CreateChannel(context);
        var channel = GrpcChannel.ForAddress(target.ChannelAddress, new GrpcChannelOptions
        {
            HttpHandler = new UserAgentHandler(new CoalescingWritesHandler(target.Handler), AgentkVersion.UserAgent),
            DisposeHttpClient = true,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });

        var headers = options.KasHeaders.ToList();
        var invoker = channel.Intercept(metadata =>
        {
            metadata.Add("authorization", authorization);
            foreach (var header in headers)
            {
                metadata.Add(header.Key.ToLowerInvariant(), header.Value);
            }

            // Asks grpc-dotnet to gzip request messages (sent as grpc-encoding: gzip).
            metadata.Add("grpc-internal-encoding-request", "gzip");
            return metadata;
        });
        return (channel, invoker);
    }

    internal static X509Certificate2Collection LoadExtraRoots(string? caCertFile)
    {
        var collection = new X509Certificate2Collection();
        if (!string.IsNullOrEmpty(caCertFile))
        {
            collection.ImportFromPemFile(caCertFile);
        }

        return collection;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _channel?.Channel.Dispose();
        }
    }

    /// <summary>Replaces grpc-dotnet's own User-Agent with <c>agentk/&lt;version&gt;/&lt;commit&gt;</c>.</summary>
    private sealed class UserAgentHandler(HttpMessageHandler inner, string userAgent) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Remove("User-Agent");
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
