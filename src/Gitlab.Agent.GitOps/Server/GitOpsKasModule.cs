using System.Text.Json;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Modules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitlab.Agent.GitOps.Server;

/// <summary>
/// Maps the <c>Gitops</c> gRPC service on the agent listener and <c>GET /api/v4/agents/{agentId}/gitops/sync-state</c>
/// on the API listener.
/// </summary>
internal sealed class GitOpsKasModule : IKasModule
{
    public const string SyncStateRoute = "/api/v4/agents/{agentId:long}/gitops/sync-state";

    public string Name => "gitops";

    public void MapEndpoints(KasListener listener, IEndpointRouteBuilder endpoints)
    {
        switch (listener)
        {
            case KasListener.Agent:
                endpoints.MapGrpcService<GitopsService>();
                break;
            case KasListener.Api:
                endpoints.MapGet(SyncStateRoute, GetSyncStateAsync);
                break;
        }
    }

    private static async Task GetSyncStateAsync(HttpContext context, long agentId, IGitOpsSyncStateStore store)
    {
        var states = await store.GetAsync(agentId, context.RequestAborted).ConfigureAwait(false);
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, states, GitOpsJson.Options, context.RequestAborted).ConfigureAwait(false);
    }
}
