namespace Gitlab.Agent.Tunnel.Internal;

/// <summary>Which HTTP headers cross the proxy.</summary>
internal static class HttpHeaderRules
{
    /// <summary>Hop-by-hop headers (RFC 9110 §7.6.1) plus <c>Host</c>; never forwarded as-is.</summary>
    public static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "HTTP2-Settings",
    };

    /// <summary>Credentials and session headers of KAS users, removed before a request enters the tunnel.</summary>
    public static readonly HashSet<string> KasCredentials = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Cookie", "Gitlab-Agent-Id", "X-Csrf-Token",
    };

    public static bool IsImpersonation(string name) => name.StartsWith("Impersonate-", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether the request asks for a protocol upgrade (<c>Connection: Upgrade</c> + <c>Upgrade</c>).</summary>
    public static bool IsUpgrade(IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers)
    {
        var connectionUpgrade = false;
        var upgrade = false;
        foreach (var (name, values) in headers)
        {
            if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                connectionUpgrade |= values.Any(v => v.Split(',').Any(t => t.Trim().Equals("Upgrade", StringComparison.OrdinalIgnoreCase)));
            }
            else if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                upgrade |= values.Any(v => v.Length > 0);
            }
        }

        return connectionUpgrade && upgrade;
    }

    /// <summary>Escapes an <c>Impersonate-Extra-</c> key: characters that are not HTTP token characters become <c>%XX</c>.</summary>
    public static string EscapeExtraKey(string key)
    {
        var builder = new System.Text.StringBuilder(key.Length);
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(key))
        {
            var c = (char)b;
            if (b < 0x80 && (char.IsAsciiLetterOrDigit(c) || "!#$&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
