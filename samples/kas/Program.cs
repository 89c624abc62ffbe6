// kas: the Kubernetes Agent Server, assembled from the Gitlab.Agent SDK.
//
//   kas --configuration-file kas.yaml                              run KAS (same as `kas serve`)
//   kas agents create --project group/project --name my-agent      register an agent
//   kas tokens create --agent-id 1 --name t1                       create a token (printed once)
//   kas agents list | kas tokens list --agent-id 1 | kas tokens revoke --token-id 1
//   kas users create --username alice; kas users add-member --username alice --group group --role maintainer
//   kas tokens create-personal --username alice --scopes api,k8s_proxy   personal access token for the API, UI and kubectl
//
// Configuration keys, listeners, push notifications and troubleshooting: docs/kas.md.
using Gitlab.Agent.Kas;

return await KasCommandLine.InvokeAsync(args, async (configuration, cancellationToken) =>
{
    var builder = WebApplication.CreateBuilder();

    // One JSON object per line on stdout.
    builder.Logging.ClearProviders().AddJsonConsole(o =>
    {
        o.UseUtcTimestamp = true;
        o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
    });
    builder.Logging.SetMinimumLevel(configuration.Observability.Logging.Level switch
    {
        "debug" => LogLevel.Debug,
        "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => LogLevel.Information,
    });

    builder.Services.AddKas(options => options.Configuration = configuration)
        .AddManagement()   // GraphQL /api/graphql, REST /api/v4/projects/:id/cluster_agents, UI /-/ui/ (docs/management.md)
        .AddGitOps()       // Gitops/GetObjectsToSynchronize + sync state (docs/gitops.md)
        .AddCilium()       // cilium_alert handler, alert store and API (docs/cilium.md)
        .AddTunnel();      // reverse tunnel + kubectl through KAS on agent.kubernetes_api, if configured (docs/tunnel.md)

    await using var app = builder.Build();
    app.MapKas();

    // 0 after SIGTERM/Ctrl+C; 1 when a core loop (repository poller, a feature loop) died.
    return await app.RunKasAsync(cancellationToken);
});
