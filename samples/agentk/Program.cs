// agentk: the GitLab agent for Kubernetes, assembled from the Gitlab.Agent SDK.
//
//   agentk --kas-address grpcs://kas.example.com:8150 --token-file /config/token
//
// Flags, environment variables, log format and troubleshooting: docs/agentk.md.
using Gitlab.Agent.Agentk;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var cli = AgentkCommandLine.Parse(args);
if (cli.ExitCode is int exitCode)
{
    // --help, --version or a usage error.
    return exitCode;
}

var builder = Host.CreateApplicationBuilder();

// One JSON object per line; the level follows observability.logging.level of the agent configuration.
builder.Logging.ClearProviders().AddAgentkJsonConsole();

builder.Services.AddAgentk(cli.Apply)
    .AddGitOps()    // pull-based deployments from gitops.manifest_projects (docs/gitops.md)
    .AddCilium()    // network-policy alerts from cilium.hubble_relay_address (docs/cilium.md)
    .AddTunnel();   // reverse tunnel: KAS proxies kubectl of CI jobs and users to this cluster (docs/tunnel.md)

using var host = builder.Build();

// 0 after SIGTERM/Ctrl+C; 1 when the options are invalid or an agent module died.
return await host.RunAgentkAsync();
