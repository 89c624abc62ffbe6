namespace Gitlab.Agent.Cilium.Agent;

/// <summary>Parses <c>cilium.hubble_relay_address</c>: <c>host:port</c> (plaintext, as GitLab documents) or an <c>http://</c>/<c>https://</c> URL.</summary>
internal static class HubbleAddress
{
    public static bool TryParse(string text, out Uri address, out string error)
    {
        address = null!;
        text = text.Trim();
        if (text.Length == 0)
        {
            error = "the address is empty";
            return false;
        }

        var candidate = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
        if (!Uri.TryCreate(candidate, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            error = "expected host:port or an http:// or https:// URL";
            return false;
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            error = $"unsupported scheme \"{uri.Scheme}\" (use host:port, http:// or https://)";
            return false;
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length != 0)
        {
            error = "the address must not contain a path or query";
            return false;
        }

        address = uri;
        error = string.Empty;
        return true;
    }
}
