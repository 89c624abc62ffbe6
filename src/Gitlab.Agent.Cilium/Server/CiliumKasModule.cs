using System.Text.Json;
using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Modules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitlab.Agent.Cilium.Server;

/// <summary>
/// The KAS module of Cilium alerts: <c>GET /api/v4/agents/{agentId}/cilium/alerts[?limit=N]</c> on the API listener
/// returns the agent's alerts as a JSON array, most recently seen first (limit 1–1000, default 100).
/// </summary>
internal sealed class CiliumKasModule(ICiliumAlertStore store) : IKasModule
{
    public const string AlertsRoute = "/api/v4/agents/{agentId:long}/cilium/alerts";

    public string Name => "cilium";

    public void MapEndpoints(KasListener listener, IEndpointRouteBuilder endpoints)
    {
        if (listener != KasListener.Api)
        {
            return;
        }

        endpoints.MapGet(AlertsRoute, ListAlertsAsync);
    }

    private async Task<IResult> ListAlertsAsync(long agentId, string? limit, CancellationToken cancellationToken)
    {
        var count = 100;
        if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count) || count is < 1 or > 1000))
        {
            return Results.Json(new Dictionary<string, string> { ["message"] = $"limit: expected an integer from 1 to 1000, got \"{limit}\"" }, statusCode: 400);
        }

        var alerts = await store.ListAsync(agentId, count, cancellationToken).ConfigureAwait(false);
        return Results.Text(CiliumAlertJson.Write(alerts), "application/json", System.Text.Encoding.UTF8);
    }
}
