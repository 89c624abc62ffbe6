using System.Net;

namespace Gitlab.Agent.Agentk.Observability;

/// <summary>Parses <c>--observability-listen-address</c>: <c>:8080</c>, <c>0.0.0.0:8080</c>, <c>[::1]:8080</c>, <c>localhost:8080</c>.</summary>
internal static class ObservabilityEndpoint
{
    public static bool TryParse(string value, out IPEndPoint? endpoint)
    {
        endpoint = null;
        var colon = value.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(value.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            return false;
        }

        var host = value[..colon];
        if (host.Length == 0)
        {
            endpoint = new IPEndPoint(IPAddress.Any, port);
            return true;
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            endpoint = new IPEndPoint(IPAddress.Loopback, port);
            return true;
        }

        if (IPAddress.TryParse(host.Trim('[', ']'), out var ip))
        {
            endpoint = new IPEndPoint(ip, port);
            return true;
        }

        return false;
    }
}
