namespace Gitlab.Agent.Kas.Modules;

/// <summary>
/// Handles requests that agent modules send through <c>GitlabAccess/MakeRequest</c> for one module name
/// (for example <c>cilium_alert</c>). Without a handler for a module, KAS forwards the request to the configured
/// GitLab internal API (<c>/api/v4/internal/kubernetes/modules/&lt;module&gt;&lt;path&gt;</c>) or answers 404.
/// </summary>
public interface IAgentModuleRequestHandler
{
    /// <summary>The module name this handler serves, as sent in <c>gitlab_access.rpc.HeaderExtra.module_name</c>.</summary>
    string ModuleName { get; }

    /// <summary>
    /// Handles one buffered request from <paramref name="agent"/>. KAS sets the request's <c>Authorization</c> header to
    /// <c>Bearer &lt;agent token&gt;</c>, as GitLab's internal API receives it, so a handler can forward on the agent's behalf.
    /// </summary>
    Task<AgentModuleResponse> HandleAsync(AgentIdentity agent, AgentModuleRequest request, CancellationToken cancellationToken = default);
}

/// <summary>An HTTP-shaped request from an agent module.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="UrlPath">Path below the module, e.g. <c>/</c>.</param>
/// <param name="Query">Query parameters.</param>
/// <param name="Headers">Request headers.</param>
/// <param name="Body">Request body.</param>
public sealed record AgentModuleRequest(
    string Method,
    string UrlPath,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Query,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Headers,
    ReadOnlyMemory<byte> Body);

/// <summary>The answer to an <see cref="AgentModuleRequest"/>.</summary>
/// <param name="StatusCode">HTTP status code.</param>
/// <param name="Headers">Response headers.</param>
/// <param name="Body">Response body.</param>
public sealed record AgentModuleResponse(
    int StatusCode,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Headers,
    ReadOnlyMemory<byte> Body);
