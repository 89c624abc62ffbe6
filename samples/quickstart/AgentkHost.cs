using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Quickstart;

/// <summary>agentk in-process, as the sample host would run it in a pod, with GitOps.</summary>
public sealed class AgentkHost : IAsyncDisposable
{
    private readonly IHost _host;

    private AgentkHost(IHost host) => _host = host;

    public static async Task<AgentkHost> StartAsync(Uri kasAddress, string tokenFile, string kubeconfig, ILoggerProvider logs, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddAgentk(o =>
        {
            o.KasAddress = kasAddress.ToString().TrimEnd('/');
            o.TokenFile = tokenFile;
            o.Kubeconfig = kubeconfig;
            o.PodNamespace = "gitlab-agent";
            o.PodName = "quickstart-agentk";
        }).AddGitOps().AddTunnel();
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new AgentkHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}
