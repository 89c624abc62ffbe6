using System.Collections.Concurrent;
using Gitlab.Agent.Testing.Api;
using Gitlab.Agent.Testing.Registry;
using Gitlab.Agent.Testing.Server;
using Microsoft.AspNetCore.Http;

namespace Gitlab.Agent.Testing.Auth;

/// <summary>Bearer-token authentication, impersonation and (optionally) RBAC authorization.</summary>
internal sealed class AuthService
{
    private static readonly HashSet<string> PublicInfoPaths = new(StringComparer.Ordinal) { "/version", "/healthz", "/livez", "/readyz" };
    private static readonly RequestUser Anonymous = new("system:anonymous", ["system:unauthenticated"], null, RequestUser.NoExtra);
    private readonly ConcurrentDictionary<string, RequestUser> _tokens = new(StringComparer.Ordinal);
    private readonly Func<RbacEvaluator?> _rbac;

    public AuthService(bool enableRbac, Func<RbacEvaluator?> rbac)
    {
        EnableRbac = enableRbac;
        _rbac = rbac;
    }

    public bool EnableRbac { get; }

    /// <summary>Local port of the plain-http listener (requests there without credentials act as admin), or 0.</summary>
    public int InsecurePort { get; set; }

    public RequestUser? AdminUser { get; private set; }

    public void AddUser(string token, string name, IEnumerable<string> groups, bool admin = false)
    {
        var g = groups.ToList();
        if (name != "system:anonymous" && !g.Contains("system:authenticated"))
        {
            g.Add("system:authenticated");
        }

        var user = new RequestUser(name, g, null, RequestUser.NoExtra);
        _tokens[token] = user;
        if (admin)
        {
            AdminUser = user;
        }
    }

    public RequestUser Authenticate(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = header["Bearer ".Length..].Trim();
            return _tokens.TryGetValue(token, out var user) ? user : throw KubeApiException.Unauthorized();
        }

        if (header.Length == 0 && InsecurePort != 0 && http.Connection.LocalPort == InsecurePort && AdminUser is not null)
        {
            return AdminUser;
        }

        // Anonymous requests may read the public information (system:public-info-viewer) and nothing else.
        var path = http.Request.Path.Value ?? "/";
        if (header.Length == 0 && http.Request.Method is "GET" or "HEAD" && PublicInfoPaths.Contains(path.TrimEnd('/').Length == 0 ? "/" : path.TrimEnd('/')))
        {
            return Anonymous;
        }

        throw KubeApiException.Unauthorized();
    }

    private static bool HasImpersonationHeader(IHeaderDictionary headers)
    {
        foreach (var (key, _) in headers)
        {
            if (key.StartsWith("Impersonate-", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Applies Impersonate-* headers after checking the impersonate verb for each requested attribute.</summary>
    public RequestUser Impersonate(HttpContext http, RequestUser user)
    {
        var headers = http.Request.Headers;
        if (!HasImpersonationHeader(headers))
        {
            return user;
        }

        var impUser = headers["Impersonate-User"].FirstOrDefault();
        var impGroups = headers["Impersonate-Group"].Where(g => !string.IsNullOrEmpty(g)).Select(g => g!).ToList();
        var impUid = headers["Impersonate-Uid"].FirstOrDefault();
        var extras = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (key, values) in headers)
        {
            if (key.StartsWith("Impersonate-Extra-", StringComparison.OrdinalIgnoreCase))
            {
                var extraKey = Uri.UnescapeDataString(key["Impersonate-Extra-".Length..]).ToLowerInvariant();
                extras[extraKey] = values.Where(v => v is not null).Select(v => v!).ToList();
            }
        }

        if (impUser is null)
        {
            if (impGroups.Count > 0 || extras.Count > 0 || impUid is not null)
            {
                throw KubeApiException.Internal("requested [" + string.Join(" ", impGroups.Select(g => "{Group " + g + "}")) + "] without impersonating a user");
            }

            return user;
        }

        const string saPrefix = "system:serviceaccount:";
        if (impUser.StartsWith(saPrefix, StringComparison.Ordinal) && impUser[saPrefix.Length..].Split(':') is [var saNs, var saName])
        {
            CheckImpersonate(user, "serviceaccounts", saName, string.Empty, saNs);
        }
        else
        {
            CheckImpersonate(user, "users", impUser, string.Empty);
        }
        foreach (var g in impGroups)
        {
            CheckImpersonate(user, "groups", g, string.Empty);
        }

        if (impUid is not null)
        {
            CheckImpersonate(user, "uids", impUid, string.Empty);
        }

        foreach (var (key, values) in extras)
        {
            foreach (var v in values)
            {
                CheckImpersonate(user, "userextras", v, key);
            }
        }

        var groups = new List<string>(impGroups);
        if (impGroups.Count == 0 && impUser.StartsWith(saPrefix, StringComparison.Ordinal))
        {
            var ns = impUser[saPrefix.Length..].Split(':')[0];
            groups.Add("system:serviceaccounts");
            groups.Add("system:serviceaccounts:" + ns);
        }

        if (impUser != "system:anonymous" && !groups.Contains("system:authenticated"))
        {
            groups.Add("system:authenticated");
        }

        return new RequestUser(impUser, groups, impUid, extras);
    }

    private void CheckImpersonate(RequestUser user, string resource, string name, string subresource, string? ns = null)
    {
        var group = resource is "users" or "groups" or "serviceaccounts" ? string.Empty : "authentication.k8s.io";
        var attrs = new AccessAttributes("impersonate", group, resource, subresource.Length > 0 ? subresource : null, ns, name, null);
        var (allowed, _) = Authorize(user, attrs);
        if (!allowed)
        {
            var resText = subresource.Length > 0 ? resource + "/" + subresource : resource;
            var scope = ns is null ? "at the cluster scope" : $"in the namespace \"{ns}\"";
            throw KubeApiException.Forbidden(group, resource, name,
                $"User \"{user.Name}\" cannot impersonate resource \"{resText}\" in API group \"{group}\" {scope}");
        }
    }

    public (bool Allowed, string Reason) Authorize(RequestUser user, AccessAttributes attrs)
    {
        if (!EnableRbac || user.IsMaster)
        {
            return (true, string.Empty);
        }

        var rbac = _rbac();
        return rbac is null ? (false, "RBAC is not available") : rbac.Authorize(user, attrs);
    }

    public void AuthorizeResource(RequestUser user, RequestInfo info, ResourceType type)
    {
        if (!EnableRbac || user.IsMaster)
        {
            return;
        }

        var verb = info.Verb;
        if (info.Subresource is "exec" or "attach")
        {
            verb = "create";
        }

        var ns = type.GroupKind == "/Namespace" ? info.Name : info.Namespace;
        var attrs = new AccessAttributes(verb, type.Group, type.Plural, info.Subresource.Length > 0 ? info.Subresource : null,
            ns.Length > 0 ? ns : null, info.Name.Length > 0 ? info.Name : null, null);
        var (allowed, reason) = Authorize(user, attrs);
        if (allowed)
        {
            return;
        }

        var resource = info.Subresource.Length > 0 ? type.Plural + "/" + info.Subresource : type.Plural;
        var scope = ns.Length > 0 && type.Namespaced ? $"in the namespace \"{ns}\"" : "at the cluster scope";
        var message = $"User \"{user.Name}\" cannot {verb} resource \"{resource}\" in API group \"{type.Group}\" {scope}";
        if (reason.Length > 0 && reason.StartsWith("RBAC:", StringComparison.Ordinal))
        {
            message += ": " + reason;
        }

        // like kube-apiserver, the status names the resource without its subresource: pods "web-0" is forbidden: ... "pods/exec"
        throw KubeApiException.Forbidden(type.Group, type.Plural, info.Name, message);
    }

    public void AuthorizeNonResource(RequestUser user, string method, string path)
    {
        if (!EnableRbac || user.IsMaster)
        {
            return;
        }

        var verb = method.ToLowerInvariant();
        var (allowed, _) = Authorize(user, new AccessAttributes(verb, string.Empty, string.Empty, null, null, null, path));
        if (!allowed)
        {
            throw new KubeApiException(403, "Forbidden", $"forbidden: User \"{user.Name}\" cannot {verb} path \"{path}\"", new System.Text.Json.Nodes.JsonObject());
        }
    }
}

/// <summary>What is being accessed: a resource (Resource non-null) or a non-resource path.</summary>
internal sealed record AccessAttributes(string Verb, string Group, string Resource, string? Subresource, string? Namespace, string? Name, string? Path);

