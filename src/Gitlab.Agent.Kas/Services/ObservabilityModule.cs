using Gitlab.Agent.Kas.Modules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gitlab.Agent.Kas.Services;

/// <summary>Built-in module: <c>/liveness</c>, <c>/readiness</c>, <c>/healthz</c> and Prometheus <c>/metrics</c> on the observability listener.</summary>
internal sealed class ObservabilityModule : IKasModule
{
    public string Name => "observability";

    public void MapEndpoints(KasListener listener, IEndpointRouteBuilder endpoints)
    {
        if (listener != KasListener.Observability)
        {
            return;
        }

        endpoints.MapGet("/liveness", () => Results.Text("ok\n"));
        endpoints.MapGet("/readiness", Readiness);
        endpoints.MapGet("/healthz", Readiness);
        endpoints.MapPrometheusScrapingEndpoint("/metrics");
    }

    private static IResult Readiness(HttpContext context)
    {
        var lifetime = context.RequestServices.GetRequiredService<IHostApplicationLifetime>();
        var ready = lifetime.ApplicationStarted.IsCancellationRequested && !lifetime.ApplicationStopping.IsCancellationRequested;
        return ready ? Results.Text("ok\n") : Results.Text("not ready\n", statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
