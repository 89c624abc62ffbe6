using System.Net;
using System.Text.RegularExpressions;

namespace Gitlab.Agent.Cilium.Policies;

/// <summary>One rule of a CiliumNetworkPolicy (<c>spec</c> or one element of <c>specs</c>).</summary>
internal sealed class PolicyRule
{
    public required EndpointSelector EndpointSelector { get; init; }

    /// <summary>Ingress rules, or <see langword="null"/> when the rule has neither <c>ingress</c> nor <c>ingressDeny</c>.</summary>
    public DirectionRules? Ingress { get; init; }

    /// <summary>Egress rules, or <see langword="null"/> when the rule has neither <c>egress</c> nor <c>egressDeny</c>.</summary>
    public DirectionRules? Egress { get; init; }
}

/// <summary>The allow and deny peer rules of one direction.</summary>
internal sealed class DirectionRules
{
    public required PeerRule[] Allow { get; init; }

    public required PeerRule[] Deny { get; init; }
}

/// <summary>
/// One element of <c>ingress</c>/<c>ingressDeny</c>/<c>egress</c>/<c>egressDeny</c>: which peers (endpoints, entities,
/// CIDRs, FQDNs) on which ports, with optional L7 rules.
/// </summary>
internal sealed class PeerRule
{
    public EndpointSelector[] Endpoints { get; init; } = [];

    public string[] Entities { get; init; } = [];

    public CidrRule[] Cidrs { get; init; } = [];

    public FqdnSelector[] Fqdns { get; init; } = [];

    /// <summary>The rule uses peer selectors this implementation cannot evaluate (nodes, groups, services).</summary>
    public bool HasUnsupportedPeers { get; init; }

    public PortRule[] ToPorts { get; init; } = [];

    public IcmpRule[] Icmps { get; init; } = [];

    /// <summary>Whether the rule names its peers at all; a rule without peer selectors applies to every peer.</summary>
    public bool HasPeerSelectors =>
        Endpoints.Length != 0 || Entities.Length != 0 || Cidrs.Length != 0 || Fqdns.Length != 0 || HasUnsupportedPeers;

    /// <summary>Whether the rule restricts ports/protocols; a rule without <c>toPorts</c>/<c>icmps</c> applies to all.</summary>
    public bool HasPortRules => ToPorts.Length != 0 || Icmps.Length != 0;
}

/// <summary>A <c>fromCIDR</c>/<c>toCIDR</c>/<c>*CIDRSet</c> entry.</summary>
internal sealed record CidrRule(IPNetwork Network, IPNetwork[] Except)
{
    public bool Contains(IPAddress address)
    {
        if (!Network.Contains(address))
        {
            return false;
        }

        foreach (var except in Except)
        {
            if (except.Contains(address))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>A <c>toFQDNs</c> or DNS rule entry: <c>matchName</c> (exact) or <c>matchPattern</c> (<c>*</c> wildcards).</summary>
internal sealed class FqdnSelector
{
    private readonly string? _name;
    private readonly Regex? _pattern;

    private FqdnSelector(string? name, Regex? pattern)
    {
        _name = name;
        _pattern = pattern;
    }

    public static FqdnSelector ForName(string name) => new(Normalize(name), null);

    /// <summary>
    /// A pattern where <c>*</c> matches any run of DNS name characters within one label, and a lone <c>*</c> matches every
    /// name, as in Cilium.
    /// </summary>
    public static FqdnSelector ForPattern(string pattern)
    {
        var normalized = Normalize(pattern);
        if (normalized == "*")
        {
            return new FqdnSelector(null, null);
        }

        var regex = "^" + Regex.Escape(normalized).Replace("\\*", "[-a-z0-9_]*", StringComparison.Ordinal) + "\\z";
        return new FqdnSelector(null, new Regex(regex, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant));
    }

    public bool Matches(string name)
    {
        var normalized = Normalize(name);
        if (_name is not null)
        {
            return string.Equals(_name, normalized, StringComparison.Ordinal);
        }

        return _pattern is null || _pattern.IsMatch(normalized);
    }

    private static string Normalize(string name) => name.TrimEnd('.').ToLowerInvariant();
}

/// <summary>Transport protocol of a port rule.</summary>
internal enum L4Protocol
{
    Any,
    Tcp,
    Udp,
    Sctp,
}

/// <summary>One <c>toPorts</c> element: ports and optional L7 rules.</summary>
internal sealed class PortRule
{
    /// <summary>Port/protocol pairs; empty means every port.</summary>
    public PortProtocol[] Ports { get; init; } = [];

    /// <summary>L7 HTTP rules; empty when the port has none.</summary>
    public HttpRule[] Http { get; init; } = [];

    /// <summary>L7 DNS rules; empty when the port has none.</summary>
    public FqdnSelector[] Dns { get; init; } = [];

    public bool MatchesPort(L4Protocol protocol, uint port)
    {
        if (Ports.Length == 0)
        {
            return protocol != L4Protocol.Any;
        }

        foreach (var p in Ports)
        {
            if (p.Matches(protocol, port))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A <c>port</c>/<c>endPort</c>/<c>protocol</c> entry. Named ports cannot be resolved from a flow and never match.</summary>
internal sealed record PortProtocol(uint Port, uint EndPort, string? NamedPort, L4Protocol Protocol)
{
    public bool Matches(L4Protocol protocol, uint port)
    {
        if (NamedPort is not null || protocol == L4Protocol.Any)
        {
            return false;
        }

        if (Protocol != L4Protocol.Any && Protocol != protocol)
        {
            return false;
        }

        if (Port == 0)
        {
            return true;
        }

        return EndPort > Port ? port >= Port && port <= EndPort : port == Port;
    }
}

/// <summary>An <c>icmps.fields</c> entry: ICMP type for a family.</summary>
internal sealed record IcmpRule(uint? Type, bool IPv6);

/// <summary>An L7 HTTP rule. Method, path and host are regular expressions matched against the whole value.</summary>
internal sealed class HttpRule
{
    public Regex? Method { get; init; }

    public Regex? Path { get; init; }

    public Regex? Host { get; init; }

    /// <summary>Required headers: name (case-insensitive) and, when not <see langword="null"/>, the exact value.</summary>
    public (string Name, string? Value)[] Headers { get; init; } = [];
}
