using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Gitlab.Agent.Cilium.Policies;

/// <summary>Turns CiliumNetworkPolicy JSON (<c>cilium.io/v2</c>) into <see cref="CiliumPolicy"/>.</summary>
internal static class CiliumPolicyParser
{
    private static readonly EndpointSelector HostSelector = ParseStatic("""{"matchLabels":{"reserved:host":""}}""");

    /// <summary>Parses one policy object. Throws <see cref="PolicyParseException"/> naming the policy and the JSON path.</summary>
    public static CiliumPolicy Parse(JsonElement policy)
    {
        if (policy.ValueKind != JsonValueKind.Object)
        {
            throw new PolicyParseException($"CiliumNetworkPolicy: expected an object, got {policy.ValueKind}");
        }

        if (!policy.TryGetProperty("metadata", out var metadata) || metadata.ValueKind != JsonValueKind.Object)
        {
            throw new PolicyParseException("CiliumNetworkPolicy: metadata is required");
        }

        var name = PolicyJson.GetString(metadata, "name", "metadata") ?? throw new PolicyParseException("CiliumNetworkPolicy: metadata.name is required");
        var ns = PolicyJson.GetString(metadata, "namespace", "metadata") ?? string.Empty;
        var id = $"CiliumNetworkPolicy {ns}/{name}";
        try
        {
            var rules = new List<PolicyRule>();
            if (policy.TryGetProperty("spec", out var spec) && spec.ValueKind != JsonValueKind.Null)
            {
                rules.Add(ParseRule(spec, "spec", ns));
            }

            foreach (var (item, path) in PolicyJson.GetObjectArray(policy, "specs", string.Empty))
            {
                rules.Add(ParseRule(item, path.TrimStart('.'), ns));
            }

            return new CiliumPolicy
            {
                Namespace = ns,
                Name = name,
                Uid = PolicyJson.GetString(metadata, "uid", "metadata") ?? string.Empty,
                ResourceVersion = PolicyJson.GetString(metadata, "resourceVersion", "metadata") ?? string.Empty,
                AlertEnabled = GetMapValue(metadata, "annotations", CiliumPolicy.AlertAnnotation) == "true",
                Project = GetMapValue(metadata, "labels", CiliumPolicy.ProjectLabel),
                Rules = [.. rules],
                Json = SerializeForPayload(policy),
            };
        }
        catch (PolicyParseException e)
        {
            throw new PolicyParseException($"{id}: {e.Message}", e);
        }
    }

    private static EndpointSelector ParseStatic(string json)
    {
        using var document = JsonDocument.Parse(json);
        return EndpointSelector.Parse(document.RootElement, "nodeSelector");
    }

    private static string? GetMapValue(JsonElement metadata, string map, string key) =>
        metadata.TryGetProperty(map, out var values) && values.ValueKind == JsonValueKind.Object &&
        values.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static ReadOnlyMemory<byte> SerializeForPayload(JsonElement policy)
    {
        var node = JsonNode.Parse(policy.GetRawText())!.AsObject();
        if (node["metadata"] is JsonObject metadata)
        {
            metadata.Remove("managedFields");
        }

        return JsonSerializer.SerializeToUtf8Bytes(node);
    }

    private static PolicyRule ParseRule(JsonElement rule, string path, string ns)
    {
        if (rule.ValueKind != JsonValueKind.Object)
        {
            throw new PolicyParseException($"{path}: expected an object, got {rule.ValueKind}");
        }

        EndpointSelector selector;
        if (rule.TryGetProperty("endpointSelector", out var endpointSelector))
        {
            selector = EndpointSelector.Parse(endpointSelector, $"{path}.endpointSelector");
        }
        else if (rule.TryGetProperty("nodeSelector", out _))
        {
            // Host policies select nodes, not pods; they never protect a pod endpoint.
            selector = HostSelector;
        }
        else
        {
            throw new PolicyParseException($"{path}.endpointSelector: required");
        }

        return new PolicyRule
        {
            EndpointSelector = selector,
            Ingress = ParseDirection(rule, path, ns, ingress: true),
            Egress = ParseDirection(rule, path, ns, ingress: false),
        };
    }

    private static DirectionRules? ParseDirection(JsonElement rule, string path, string ns, bool ingress)
    {
        var allowKey = ingress ? "ingress" : "egress";
        var denyKey = ingress ? "ingressDeny" : "egressDeny";
        var hasAllow = rule.TryGetProperty(allowKey, out var allowElement) && allowElement.ValueKind != JsonValueKind.Null;
        var hasDeny = rule.TryGetProperty(denyKey, out var denyElement) && denyElement.ValueKind != JsonValueKind.Null;
        if (!hasAllow && !hasDeny)
        {
            return null;
        }

        return new DirectionRules
        {
            Allow = [.. PolicyJson.GetObjectArray(rule, allowKey, path).Select(x => ParsePeerRule(x.Item, x.Path, ns, ingress, allowL7: true))],
            Deny = [.. PolicyJson.GetObjectArray(rule, denyKey, path).Select(x => ParsePeerRule(x.Item, x.Path, ns, ingress, allowL7: false))],
        };
    }

    private static PeerRule ParsePeerRule(JsonElement element, string path, string ns, bool ingress, bool allowL7)
    {
        var prefix = ingress ? "from" : "to";
        var endpoints = PolicyJson.GetObjectArray(element, prefix + "Endpoints", path)
            .Select(x =>
            {
                var selector = EndpointSelector.Parse(x.Item, x.Path);

                // In a namespaced policy a peer selector without a namespace requirement only selects the policy's namespace.
                return selector.SelectsNamespace ? selector : selector.WithNamespace(ns);
            })
            .ToArray();

        // An explicitly empty fromEndpoints/toEndpoints list selects nothing, which is different from "no peer selector".
        var explicitEmptyEndpoints = element.TryGetProperty(prefix + "Endpoints", out var ep) && ep.ValueKind == JsonValueKind.Array && ep.GetArrayLength() == 0;

        var entities = PolicyJson.GetStringArray(element, prefix + "Entities", path);
        var cidrs = new List<CidrRule>();
        var cidrPath = $"{path}.{prefix}CIDR";
        var index = 0;
        foreach (var cidr in PolicyJson.GetStringArray(element, prefix + "CIDR", path))
        {
            cidrs.Add(new CidrRule(ParseNetwork(cidr, $"{cidrPath}[{index}]"), []));
            index++;
        }

        foreach (var (item, itemPath) in PolicyJson.GetObjectArray(element, prefix + "CIDRSet", path))
        {
            var cidr = PolicyJson.GetString(item, "cidr", itemPath);
            if (cidr is null)
            {
                // cidrGroupRef / cidrGroupSelector refer to other objects this implementation does not read.
                continue;
            }

            var except = PolicyJson.GetStringArray(item, "except", itemPath)
                .Select((e, i) => ParseNetwork(e, $"{itemPath}.except[{i}]"))
                .ToArray();
            cidrs.Add(new CidrRule(ParseNetwork(cidr, $"{itemPath}.cidr"), except));
        }

        var fqdns = ingress
            ? []
            : PolicyJson.GetObjectArray(element, "toFQDNs", path).Select(x => ParseFqdn(x.Item, x.Path)).ToArray();

        string[] unsupported = ingress ? ["fromNodes", "fromGroups"] : ["toNodes", "toGroups", "toServices"];
        var hasUnsupported = explicitEmptyEndpoints || unsupported.Any(k => element.TryGetProperty(k, out var v) && v.ValueKind != JsonValueKind.Null);

        return new PeerRule
        {
            Endpoints = endpoints,
            Entities = entities,
            Cidrs = [.. cidrs],
            Fqdns = fqdns,
            HasUnsupportedPeers = hasUnsupported,
            ToPorts = [.. PolicyJson.GetObjectArray(element, "toPorts", path).Select(x => ParsePortRule(x.Item, x.Path, allowL7))],
            Icmps = [.. PolicyJson.GetObjectArray(element, "icmps", path).SelectMany(x => ParseIcmp(x.Item, x.Path))],
        };
    }

    private static IPNetwork ParseNetwork(string text, string path)
    {
        if (IPNetwork.TryParse(text, out var network))
        {
            return network;
        }

        if (IPAddress.TryParse(text, out var address))
        {
            return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        }

        throw new PolicyParseException($"{path}: \"{text}\" is not a CIDR");
    }

    private static FqdnSelector ParseFqdn(JsonElement element, string path)
    {
        var name = PolicyJson.GetString(element, "matchName", path);
        if (name is not null)
        {
            return FqdnSelector.ForName(name);
        }

        var pattern = PolicyJson.GetString(element, "matchPattern", path)
            ?? throw new PolicyParseException($"{path}: matchName or matchPattern is required");
        return FqdnSelector.ForPattern(pattern);
    }

    private static IEnumerable<IcmpRule> ParseIcmp(JsonElement element, string path)
    {
        foreach (var (field, fieldPath) in PolicyJson.GetObjectArray(element, "fields", path))
        {
            var family = PolicyJson.GetString(field, "family", fieldPath) ?? "IPv4";
            var typeText = PolicyJson.GetString(field, "type", fieldPath);
            uint? type = typeText is not null && uint.TryParse(typeText, NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
            yield return new IcmpRule(type, string.Equals(family, "IPv6", StringComparison.OrdinalIgnoreCase));
        }
    }

    private static PortRule ParsePortRule(JsonElement element, string path, bool allowL7)
    {
        var ports = new List<PortProtocol>();
        foreach (var (item, itemPath) in PolicyJson.GetObjectArray(element, "ports", path))
        {
            var portText = PolicyJson.GetString(item, "port", itemPath) ?? "0";
            var protocolText = PolicyJson.GetString(item, "protocol", itemPath) ?? "ANY";
            var protocol = protocolText.ToUpperInvariant() switch
            {
                "ANY" or "" => L4Protocol.Any,
                "TCP" => L4Protocol.Tcp,
                "UDP" => L4Protocol.Udp,
                "SCTP" => L4Protocol.Sctp,
                _ => throw new PolicyParseException($"{itemPath}.protocol: unknown protocol \"{protocolText}\" (expected TCP, UDP, SCTP or ANY)"),
            };
            var endPortText = PolicyJson.GetString(item, "endPort", itemPath);
            var endPort = 0u;
            if (endPortText is not null && !uint.TryParse(endPortText, NumberStyles.None, CultureInfo.InvariantCulture, out endPort))
            {
                throw new PolicyParseException($"{itemPath}.endPort: \"{endPortText}\" is not a port number");
            }

            if (uint.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                if (port > 65535)
                {
                    throw new PolicyParseException($"{itemPath}.port: {port} is out of range");
                }

                ports.Add(new PortProtocol(port, endPort, null, protocol));
            }
            else
            {
                ports.Add(new PortProtocol(0, 0, portText, protocol));
            }
        }

        var http = new List<HttpRule>();
        var dns = new List<FqdnSelector>();
        if (element.TryGetProperty("rules", out var rules) && rules.ValueKind == JsonValueKind.Object)
        {
            if (!allowL7)
            {
                throw new PolicyParseException($"{path}.rules: L7 rules are not allowed in deny rules");
            }

            foreach (var (item, itemPath) in PolicyJson.GetObjectArray(rules, "http", $"{path}.rules"))
            {
                http.Add(ParseHttpRule(item, itemPath));
            }

            foreach (var (item, itemPath) in PolicyJson.GetObjectArray(rules, "dns", $"{path}.rules"))
            {
                dns.Add(ParseFqdn(item, itemPath));
            }
        }

        return new PortRule { Ports = [.. ports], Http = [.. http], Dns = [.. dns] };
    }

    private static HttpRule ParseHttpRule(JsonElement element, string path)
    {
        var headers = new List<(string, string?)>();
        var index = 0;
        foreach (var header in PolicyJson.GetStringArray(element, "headers", path))
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            var name = (colon < 0 ? header : header[..colon]).Trim();
            if (name.Length == 0)
            {
                throw new PolicyParseException($"{path}.headers[{index}]: \"{header}\" has no header name");
            }

            headers.Add((name, colon < 0 ? null : header[(colon + 1)..].Trim()));
            index++;
        }

        foreach (var (item, itemPath) in PolicyJson.GetObjectArray(element, "headerMatches", path))
        {
            // A header match with a mismatch action only logs or rewrites; it never denies the request.
            if (PolicyJson.GetString(item, "mismatch", itemPath) is not null)
            {
                continue;
            }

            var name = PolicyJson.GetString(item, "name", itemPath) ?? throw new PolicyParseException($"{itemPath}.name: required");
            headers.Add((name, PolicyJson.GetString(item, "value", itemPath)));
        }

        return new HttpRule
        {
            Method = ParseRegex(element, "method", path),
            Path = ParseRegex(element, "path", path),
            Host = ParseRegex(element, "host", path),
            Headers = [.. headers],
        };
    }

    private static Regex? ParseRegex(JsonElement element, string name, string path)
    {
        var pattern = PolicyJson.GetString(element, name, path);
        if (string.IsNullOrEmpty(pattern))
        {
            return null;
        }

        try
        {
            // Cilium (Envoy) matches the whole value: anchor the expression. NonBacktracking keeps matching linear in the
            // input like RE2, so no match timeout is needed (a wall-clock timeout would drop flows on a busy machine).
            return new Regex($"^(?:{pattern})\\z", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, Regex.InfiniteMatchTimeout);
        }
        catch (ArgumentException e)
        {
            throw new PolicyParseException($"{path}.{name}: \"{pattern}\" is not a valid regular expression: {e.Message}", e);
        }
    }
}
