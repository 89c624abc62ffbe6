using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Kas.Modules;

namespace Gitlab.Agent.Cilium.Tests.Infrastructure;

/// <summary>Hands agent requests to a KAS module request handler in process, as KAS's GitlabAccess server does.</summary>
internal sealed class HandlerGitlabAccessClient(IAgentModuleRequestHandler handler, AgentIdentity agent) : IGitlabAccessClient
{
    public async Task<GitlabAccessResponse> SendAsync(string moduleName, string method, string urlPath, ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string>? headers = null, CancellationToken cancellationToken = default)
    {
        Assert.Equal(handler.ModuleName, moduleName);
        var requestHeaders = (headers ?? new Dictionary<string, string>()).ToDictionary(h => h.Key, h => (IReadOnlyList<string>)[h.Value]);
        var response = await handler.HandleAsync(agent, new AgentModuleRequest(method, urlPath, new Dictionary<string, IReadOnlyList<string>>(), requestHeaders, body.ToArray()), cancellationToken);
        return new GitlabAccessResponse(response.StatusCode, response.Body);
    }
}
