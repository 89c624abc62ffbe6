namespace Gitlab.Agent.Agentk.Kas;

/// <summary>
/// Builds the HTTP/2 connection agentk uses to reach KAS for some <c>--kas-address</c> schemes. agentk ships the
/// <c>grpc</c>/<c>grpcs</c> transport; other packages add more (the WebSocket transport for <c>ws</c>/<c>wss</c>) with
/// <c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;IKasTransport, MyTransport&gt;())</c>.
/// Authentication metadata, <c>--kas-header</c> metadata and compression are added on top by agentk.
/// </summary>
public interface IKasTransport
{
    /// <summary>Lower-case URL schemes this transport serves, for example <c>ws</c> and <c>wss</c>.</summary>
    IReadOnlyCollection<string> Schemes { get; }

    /// <summary>Creates the channel target for <see cref="KasTransportContext.Address"/>. Called once per agentk process.</summary>
    KasTransportChannel CreateChannel(KasTransportContext context);
}

/// <summary>What an <see cref="IKasTransport"/> returns: the address given to <c>GrpcChannel.ForAddress</c> and its HTTP handler.</summary>
/// <param name="ChannelAddress">An <c>http://</c> or <c>https://</c> address for the gRPC channel.</param>
/// <param name="Handler">The handler the channel sends HTTP/2 requests through; the channel disposes it.</param>
public sealed record KasTransportChannel(Uri ChannelAddress, HttpMessageHandler Handler);
