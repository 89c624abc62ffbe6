namespace Gitlab.Agent.Testing.Api;

/// <summary>What a request addresses, parsed from its path like kube-apiserver's RequestInfoFactory.</summary>
internal sealed record RequestInfo
{
    public bool IsResourceRequest { get; init; }

    public required string Path { get; init; }

    /// <summary>get, list, watch, create, update, patch, delete, deletecollection (resource requests) or the lower-cased method.</summary>
    public required string Verb { get; init; }

    public string Group { get; init; } = string.Empty;

    public string Version { get; init; } = string.Empty;

    public string Namespace { get; init; } = string.Empty;

    public string Resource { get; init; } = string.Empty;

    public string Name { get; init; } = string.Empty;

    public string Subresource { get; init; } = string.Empty;

    /// <summary>True when the path had more segments than the grammar allows.</summary>
    public bool Malformed { get; init; }

    private static readonly HashSet<string> NamespaceSubresources = new(StringComparer.Ordinal) { "status", "finalize" };

    public static RequestInfo Parse(string method, string path, bool watchParam)
    {
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var nonResource = new RequestInfo { Path = path, Verb = method.ToLowerInvariant() };
        if (parts.Length < 3)
        {
            return nonResource;
        }

        string group;
        string version;
        int index;
        if (parts[0] == "api")
        {
            group = string.Empty;
            version = parts[1];
            index = 2;
        }
        else if (parts[0] == "apis" && parts.Length >= 4)
        {
            group = parts[1];
            version = parts[2];
            index = 3;
        }
        else
        {
            return nonResource;
        }

        var rest = parts[index..];
        var ns = string.Empty;
        if (rest[0] == "namespaces" && rest.Length > 1)
        {
            ns = rest[1];
            if (rest.Length > 2 && !NamespaceSubresources.Contains(rest[2]))
            {
                rest = rest[2..];
            }
        }

        var resource = rest[0];
        var name = rest.Length > 1 ? rest[1] : string.Empty;
        var sub = rest.Length > 2 ? rest[2] : string.Empty;
        var malformed = rest.Length > 3;
        var verb = method switch
        {
            "GET" or "HEAD" => name.Length == 0 ? (watchParam ? "watch" : "list") : (watchParam ? "watch" : "get"),
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name.Length == 0 ? "deletecollection" : "delete",
            _ => method.ToLowerInvariant(),
        };

        return new RequestInfo
        {
            IsResourceRequest = true,
            Path = path,
            Verb = verb,
            Group = group,
            Version = version,
            Namespace = ns,
            Resource = resource,
            Name = name,
            Subresource = sub,
            Malformed = malformed,
        };
    }
}
