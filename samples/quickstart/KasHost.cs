using Gitlab.Agent.Kas;
using Gitlab.Agent.Protocol.KasCfg;
using Gitlab.Agent.Tunnel.Server;
using Google.Protobuf.WellKnownTypes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Quickstart;

/// <summary>KAS on loopback with the embedded defaults: SQLite registry and bare repositories in the state directory, management API and UI, GitOps.</summary>
public sealed class KasHost : IAsyncDisposable
{
    private KasHost(WebApplication app) => App = app;

    public WebApplication App { get; }

    public IServiceProvider Services => App.Services;

    public Uri ApiAddress => Services.GetRequiredService<IKasAddresses>().Api;

    public Uri AgentAddress => Services.GetRequiredService<IKasAddresses>().Agent;

    /// <summary>A kubeconfig for kubectl through the KAS Kubernetes API proxy, as the user of <paramref name="personalAccessToken"/>.</summary>
    public Task<string?> KubeconfigForUserAsync(string personalAccessToken, long agentId, CancellationToken cancellationToken) =>
        Services.GetRequiredService<KubeconfigService>().CreateForUserAsync(personalAccessToken, agentId, cancellationToken);

    public static string RepositoriesDirectory(QuickstartOptions options) => Path.Combine(options.StateDirectory, "repositories");

    public static async Task<KasHost> StartAsync(QuickstartOptions options, ILoggerProvider logs, CancellationToken cancellationToken)
    {
        var tls = ProxyCertificate.Ensure(options.StateDirectory);
        var configuration = new ConfigurationFile
        {
            Agent = new AgentCF
            {
                Listen = new AgentListenCF { Address = $"127.0.0.1:{options.AgentPort}" },
                Configuration = new AgentConfigurationCF { PollPeriod = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)) },
                KubernetesApi = new KubernetesApiCF
                {
                    Listen = new ListenCF { Address = $"127.0.0.1:{options.KubernetesApiPort}", CertificateFile = tls.CertificateFile, KeyFile = tls.KeyFile },
                },
            },
            Api = new ApiCF { Listen = new ListenCF { Address = $"127.0.0.1:{options.ApiPort}" } },
            Observability = new ObservabilityCF { Listen = new ListenCF { Address = "127.0.0.1:0" } },
            Repositories = new RepositoriesCF
            {
                Directory = RepositoriesDirectory(options),
                PollPeriod = Duration.FromTimeSpan(TimeSpan.FromSeconds(2)),
            },
            Registry = new RegistryCF { Sqlite = new SqliteCF { Path = Path.Combine(options.StateDirectory, "kas.db") } },
        };

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = options.StateDirectory });
        builder.Logging.ClearProviders().AddProvider(logs);

        // One personal access token (KAS's user store) for the API, the UI and kubectl through KAS.
        builder.Services.AddKas(o => o.Configuration = configuration)
            .AddManagement()
            .AddGitOps(o => o.PollPeriod = TimeSpan.FromSeconds(10))
            .AddTunnel(o => o.CertificateAuthorityFile = tls.CaFile);
        var app = builder.Build();
        app.MapKas();
        await app.StartAsync(cancellationToken);
        return new KasHost(app);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
    }
}
