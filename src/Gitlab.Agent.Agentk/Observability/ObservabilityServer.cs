using System.Net;
using Gitlab.Agent.Agentk.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Agentk.Observability;

/// <summary>
/// Serves <c>/metrics</c> (Prometheus text), <c>/liveness</c> (200 while the process runs) and <c>/readiness</c>
/// (200 once the first configuration arrived from KAS, 503 before) on <c>--observability-listen-address</c>.
/// </summary>
internal sealed class ObservabilityServer(
    IOptions<AgentkOptions> options,
    AgentkMetrics metrics,
    ILogger<ObservabilityServer> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The bound address (useful with port 0), or <see langword="null"/> when disabled.</summary>
    public Uri? Address { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var value = options.Value.ObservabilityListenAddress;
        if (string.IsNullOrEmpty(value) || !ObservabilityEndpoint.TryParse(value, out var endpoint) || endpoint is null)
        {
            return;
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(endpoint));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        app.MapGet("/metrics", () => Results.Text(metrics.RenderPrometheus(), "text/plain; version=0.0.4; charset=utf-8"));
        app.MapGet("/liveness", () => Results.Text("ok"));
        app.MapGet("/readiness", () => metrics.HasConfiguration
            ? Results.Text("ok")
            : Results.Text("no configuration received from KAS yet", statusCode: StatusCodes.Status503ServiceUnavailable));
        await app.StartAsync(cancellationToken);
        _app = app;
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        Address = bound is null ? null : new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        var netAddress = bound ?? endpoint.ToString();
        AgentkLog.ObservabilityListening(logger, netAddress);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
