using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Management.Graphql;
using Gitlab.Agent.Management.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Management;

/// <summary>Maps the GraphQL endpoint, the REST mirror and the UI on the KAS API listener.</summary>
internal sealed class ManagementKasModule(IOptions<ManagementOptions> options) : IKasModule
{
    public string Name => "management";

    public void MapEndpoints(KasListener listener, IEndpointRouteBuilder endpoints)
    {
        if (listener != KasListener.Api)
        {
            return;
        }

        var settings = options.Value;
        if (settings.EnableGraphql)
        {
            endpoints.MapPost("/api/graphql", (HttpContext context, GraphqlEndpoint graphql) => graphql.HandleAsync(context));
        }

        if (settings.EnableRest)
        {
            RestEndpoints.Map(endpoints);
        }

        if (settings.EnableUi)
        {
            UiEndpoints.Map(endpoints);
        }
    }
}
