using System.Text;
using System.Text.Json;
using Gitlab.Agent.Kas.Modules;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.GitOps.Server;

/// <summary>
/// Receives agents' sync reports sent through <c>GitlabAccess/MakeRequest</c> with module <c>gitops_sync_state</c>:
/// <c>POST /</c> with a <see cref="GitOpsSyncState"/> JSON body stores it (204); <c>GET /</c> returns the agent's states.
/// </summary>
internal sealed class SyncStateRequestHandler(
    IGitOpsSyncStateStore store,
    TimeProvider timeProvider,
    ILogger<SyncStateRequestHandler> logger) : IAgentModuleRequestHandler
{
    public const string Module = "gitops_sync_state";

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> JsonHeaders =
        new Dictionary<string, IReadOnlyList<string>> { ["Content-Type"] = ["application/json"] };

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> NoHeaders =
        new Dictionary<string, IReadOnlyList<string>>();

    public string ModuleName => Module;

    public async Task<AgentModuleResponse> HandleAsync(AgentIdentity agent, AgentModuleRequest request, CancellationToken cancellationToken = default)
    {
        var path = request.UrlPath.TrimEnd('/');
        if (path.Length != 0)
        {
            return Error(404, $"unknown path {request.UrlPath}; use /");
        }

        if (string.Equals(request.Method, "GET", StringComparison.OrdinalIgnoreCase))
        {
            var states = await store.GetAsync(agent.AgentId, cancellationToken).ConfigureAwait(false);
            return new AgentModuleResponse(200, JsonHeaders, JsonSerializer.SerializeToUtf8Bytes(states, GitOpsJson.Options));
        }

        if (!string.Equals(request.Method, "POST", StringComparison.OrdinalIgnoreCase) &&
            !string.Equals(request.Method, "PUT", StringComparison.OrdinalIgnoreCase))
        {
            return Error(405, $"method {request.Method} is not allowed; use POST or GET");
        }

        GitOpsSyncState? state;
        try
        {
            state = JsonSerializer.Deserialize<GitOpsSyncState>(request.Body.Span, GitOpsJson.Options);
        }
        catch (JsonException e)
        {
            GitOpsServerLog.BadSyncStateReport(logger, agent.AgentId, e.Message);
            return Error(400, $"invalid sync state JSON: {e.Message}");
        }

        if (state is null || string.IsNullOrWhiteSpace(state.ProjectId))
        {
            GitOpsServerLog.BadSyncStateReport(logger, agent.AgentId, "project_id is missing");
            return Error(400, "invalid sync state: project_id is required");
        }

        state = state with { AgentId = agent.AgentId, ReceivedAt = timeProvider.GetUtcNow() };
        await store.SetAsync(state, cancellationToken).ConfigureAwait(false);
        GitOpsServerLog.SyncStateReported(logger, agent.AgentId, state.ProjectId, state.CommitId, state.Status);
        return new AgentModuleResponse(204, NoHeaders, ReadOnlyMemory<byte>.Empty);
    }

    private static AgentModuleResponse Error(int status, string message) =>
        new(status, JsonHeaders, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { message }, GitOpsJson.Options)));
}
