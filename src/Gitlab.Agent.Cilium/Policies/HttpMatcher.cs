using Gitlab.Agent.Protocol.Cilium.Flow;

namespace Gitlab.Agent.Cilium.Policies;

/// <summary>Evaluates Cilium HTTP rules against a Hubble L7 HTTP record.</summary>
internal static class HttpMatcher
{
    /// <summary>Whether any of <paramref name="rules"/> admits <paramref name="request"/>.</summary>
    public static bool MatchesAny(HttpRule[] rules, HTTP request)
    {
        var parts = RequestParts.From(request.Url);
        foreach (var rule in rules)
        {
            if (Matches(rule, request, parts))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Matches(HttpRule rule, HTTP request, RequestParts parts)
    {
        if (rule.Method is not null && !rule.Method.IsMatch(request.Method))
        {
            return false;
        }

        // Envoy matches the path rule against :path, which includes the query; accept the bare path as well.
        if (rule.Path is not null && !rule.Path.IsMatch(parts.PathAndQuery) && !rule.Path.IsMatch(parts.Path))
        {
            return false;
        }

        if (rule.Host is not null && !rule.Host.IsMatch(parts.Host) && (parts.Authority == parts.Host || !rule.Host.IsMatch(parts.Authority)))
        {
            return false;
        }

        foreach (var (name, value) in rule.Headers)
        {
            var found = false;
            foreach (var header in request.Headers)
            {
                if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase) && (value is null || header.Value == value))
                {
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    private readonly record struct RequestParts(string Host, string Authority, string Path, string PathAndQuery)
    {
        public static RequestParts From(string url)
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                var host = uri.IdnHost;
                var authority = uri.IsDefaultPort ? host : $"{host}:{uri.Port}";
                var path = uri.GetComponents(UriComponents.Path | UriComponents.KeepDelimiter, UriFormat.UriEscaped);
                var query = uri.GetComponents(UriComponents.Query | UriComponents.KeepDelimiter, UriFormat.UriEscaped);
                return new RequestParts(host, authority, path.Length == 0 ? "/" : path, (path.Length == 0 ? "/" : path) + query);
            }

            var queryStart = url.IndexOf('?', StringComparison.Ordinal);
            return new RequestParts(string.Empty, string.Empty, queryStart < 0 ? url : url[..queryStart], url);
        }
    }
}
