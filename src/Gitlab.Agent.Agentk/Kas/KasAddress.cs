namespace Gitlab.Agent.Agentk.Kas;

/// <summary>Parses <c>--kas-address</c> and picks the transport for its scheme, with errors that name the flag.</summary>
internal static class KasAddress
{
    internal static readonly string[] AllowedSchemes = ["grpc", "grpcs", "ws", "wss"];

    public static Uri Parse(string? address)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            throw new InvalidOperationException("--kas-address is required: the KAS URL, e.g. grpcs://kas.example.com:443 or wss://gitlab.example.com/-/kubernetes-agent/.");
        }

        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new InvalidOperationException($"--kas-address '{address}' is not an absolute URL with a host; use grpc://, grpcs://, ws:// or wss://.");
        }

        if (!AllowedSchemes.Contains(uri.Scheme))
        {
            throw new InvalidOperationException($"--kas-address '{address}' has the unsupported scheme '{uri.Scheme}': use one of grpc://, grpcs://, ws://, wss://.");
        }

        return uri;
    }

    public static IKasTransport FindTransport(Uri address, IEnumerable<IKasTransport> transports)
    {
        // Later registrations win, so an application can replace the built-in grpc transport.
        var transport = transports.LastOrDefault(t => t.Schemes.Contains(address.Scheme, StringComparer.OrdinalIgnoreCase));
        if (transport is not null)
        {
            return transport;
        }

        if (address.Scheme is "ws" or "wss")
        {
            throw new InvalidOperationException($"--kas-address '{address}': the ws/wss transport for --kas-address is provided by the Gitlab.Agent.Tunnel package (AddWebSocketTransport).");
        }

        throw new InvalidOperationException($"--kas-address '{address}': no transport is registered for the scheme '{address.Scheme}'.");
    }
}
