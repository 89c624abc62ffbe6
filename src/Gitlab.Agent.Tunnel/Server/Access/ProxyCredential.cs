using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Gitlab.Agent.Tunnel.Server.Access;

internal enum ProxyCredentialType
{
    CiJob,
    PersonalAccessToken,
}

/// <summary>A parsed <c>Authorization: Bearer &lt;type&gt;:&lt;agentId&gt;:&lt;token&gt;</c> header of the Kubernetes API proxy.</summary>
internal sealed record ProxyCredential(ProxyCredentialType Type, long AgentId, string Token)
{
    public static bool TryParse(StringValues authorization, out ProxyCredential? credential, out string error)
    {
        credential = null;
        if (authorization.Count == 0)
        {
            error = "missing Authorization header: use 'Bearer ci:<agent id>:<CI job token>' or 'Bearer pat:<agent id>:<personal access token>'";
            return false;
        }

        if (authorization.Count > 1)
        {
            error = "exactly one Authorization header is allowed";
            return false;
        }

        var value = authorization[0] ?? string.Empty;
        const string Bearer = "Bearer ";
        if (!value.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            error = "Authorization header must be 'Bearer <type>:<agent id>:<token>'";
            return false;
        }

        var parts = value[Bearer.Length..].Trim().Split(':', 3);
        if (parts.Length != 3)
        {
            error = "Authorization bearer token must be '<type>:<agent id>:<token>' with type 'ci' or 'pat'";
            return false;
        }

        ProxyCredentialType type;
        switch (parts[0])
        {
            case "ci":
                type = ProxyCredentialType.CiJob;
                break;
            case "pat":
                type = ProxyCredentialType.PersonalAccessToken;
                break;
            default:
                error = $"unknown token type '{parts[0]}' in the Authorization header (expected 'ci' or 'pat')";
                return false;
        }

        if (!long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var agentId) || agentId <= 0)
        {
            error = $"invalid agent id '{parts[1]}' in the Authorization header";
            return false;
        }

        if (parts[2].Length == 0)
        {
            error = "empty token in the Authorization header";
            return false;
        }

        credential = new ProxyCredential(type, agentId, parts[2]);
        error = string.Empty;
        return true;
    }
}
