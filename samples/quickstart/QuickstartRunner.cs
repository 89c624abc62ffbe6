using k8s;
using Gitlab.Agent.Kas.Users;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Quickstart;

/// <summary>
/// Runs the quickstart: test cluster, KAS, user and token, demo repository, agent registration through GraphQL,
/// agentk with GitOps; waits until the example is applied and ready, prints what to try next, and runs until cancelled.
/// </summary>
public sealed class QuickstartRunner(QuickstartOptions options, TextWriter output)
{
    private readonly TaskCompletionSource<QuickstartSummary> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the example is applied and ready (faults when the run fails first).</summary>
    public Task<QuickstartSummary> Ready => _ready.Task;

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled. Returns 0 after a clean stop, 1 on failure.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.StateDirectory);
        using var logs = new FileLoggerProvider(Path.Combine(options.StateDirectory, "logs", "quickstart.log"));
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        await output.WriteLineAsync($"GitLab agent quickstart — state in {options.StateDirectory} (delete it to start over)");
        try
        {
            var summary = await StartAndWaitAsync(logs, loggerFactory, cancellationToken);
            return summary;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ready.TrySetCanceled(cancellationToken);
            await output.WriteLineAsync("Stopped.");
            return 0;
        }
        catch (IOException ex) when (ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            _ready.TrySetException(ex);
            await output.WriteLineAsync($"✗ {ex.Message}: another program uses port {options.ApiPort} or {options.AgentPort}; pass --api-port 0 --agent-port 0 for free ports");
            return 1;
        }
        catch (Exception ex)
        {
            _ready.TrySetException(ex);
            await output.WriteLineAsync($"✗ {ex.Message}");
            await output.WriteLineAsync($"  Details: {logs.Path}");
            return 1;
        }
    }

    private async Task<int> StartAndWaitAsync(FileLoggerProvider logs, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        await using var cluster = await ClusterHost.StartAsync(options, loggerFactory, cancellationToken);
        await StepAsync("Kubernetes cluster", cluster.Description);

        var repository = Path.Combine(KasHost.RepositoriesDirectory(options), options.ProjectPath + ".git");
        var committed = DemoRepository.EnsureCreated(repository, options.ProjectPath, options.AgentName);
        await StepAsync($"Repository {options.ProjectPath}", $"{repository}{(committed ? " (example committed)" : string.Empty)}");

        await using var kas = await KasHost.StartAsync(options, logs, cancellationToken);
        DemoRepository.InstallHook(repository, kas.ApiAddress, options.ProjectPath);
        await StepAsync("KAS", $"agent listener {kas.AgentAddress}, API and UI {kas.ApiAddress}");

        var pat = await UserBootstrap.EnsureAsync(kas.Services.GetRequiredService<IUserStore>(), options, cancellationToken);
        await StepAsync($"User {options.Username}", $"personal access token in {Path.Combine(options.StateDirectory, "user-token")}");

        using var graphql = new GraphqlClient(kas.ApiAddress, pat);
        var agent = await AgentRegistration.EnsureAsync(graphql, options, cancellationToken);
        await StepAsync($"Agent {options.AgentName}", $"{agent.AgentGid}{(agent.Created ? " created" : string.Empty)} through GraphQL, token in {agent.TokenFile}");

        await using var agentk = await AgentkHost.StartAsync(kas.AgentAddress, agent.TokenFile, cluster.KubeconfigPath, logs, cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ReadyTimeout);
        string? version;
        string workload;
        try
        {
            version = await AgentRegistration.WaitConnectedAsync(graphql, options, timeout.Token);
            await StepAsync("agentk connected", $"version {version ?? "unknown"}, configuration {DemoRepository.ConfigFile(options.AgentName)}");
            workload = await WorkloadWatcher.WaitReadyAsync(cluster.Client, "demo", "nginx",
                state => output.WriteLine($"  … {state}"), timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"agentk did not connect and apply the example within {options.ReadyTimeout.TotalMinutes:0} minutes");
        }

        await StepAsync("Synced", workload);
        var kasKubeconfig = await KubectlThroughKasAsync(kas, pat, agent.AgentId, cancellationToken);
        var summary = new QuickstartSummary(kas.ApiAddress, agent.AgentId, pat, cluster.KubeconfigPath, repository, cluster.IsInProcess)
        {
            KasKubeconfig = kasKubeconfig,
        };
        await PrintNextStepsAsync(summary);
        _ready.TrySetResult(summary);
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return 0;
    }

    /// <summary>
    /// Writes a kubeconfig that reaches the cluster through the KAS Kubernetes API proxy and the agent's reverse tunnel,
    /// and checks it with one request. Returns its path, or <see langword="null"/> when the proxy is not usable (for
    /// example a state directory created before <c>user_access</c> was part of the example).
    /// </summary>
    private async Task<string?> KubectlThroughKasAsync(KasHost kas, string pat, long agentId, CancellationToken cancellationToken)
    {
        var kubeconfig = await kas.KubeconfigForUserAsync(pat, agentId, cancellationToken);
        if (kubeconfig is null)
        {
            await output.WriteLineAsync("  … kubectl through KAS is not available: the agent configuration has no user_access for this user");
            return null;
        }

        var path = Path.Combine(options.StateDirectory, "kubeconfig");
        await SecretFile.WriteAsync(path, kubeconfig, cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        Exception? last = null;
        while (!timeout.IsCancellationRequested)
        {
            try
            {
                using var client = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
                await client.AppsV1.ReadNamespacedDeploymentAsync("nginx", "demo", cancellationToken: timeout.Token);
                await StepAsync("kubectl through KAS", $"{path} (Kubernetes API proxy, reverse tunnel to agentk)");
                return path;
            }
            catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // The agent's tunnel may still be connecting.
                last = ex;
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
            }
        }

        await output.WriteLineAsync($"  … kubectl through KAS did not answer ({last?.Message}); see {Path.Combine(options.StateDirectory, "logs", "quickstart.log")}");
        return null;
    }

    private Task StepAsync(string what, string detail) => output.WriteLineAsync($"✓ {what,-28} {detail}");

    private async Task PrintNextStepsAsync(QuickstartSummary s)
    {
        var ui = new Uri(s.ApiAddress, $"/-/ui/agents/{s.AgentId}");
        var clone = Path.Combine(Path.GetTempPath(), "quickstart-demo");
        await output.WriteLineAsync($"""

            Web UI:   {ui}
                      sign in with the personal access token {s.PersonalAccessToken}
            GraphQL:  curl -H "Authorization: Bearer {s.PersonalAccessToken}" -H "Content-Type: application/json" \
                        -d '{"{"}"query":"{"{"}project(fullPath:\"{options.ProjectPath}\"){"{"}clusterAgents{"{"}nodes{"{"}name connectionStatus{"}"}{"}"}{"}"}{"}"}"{"}"}' {new Uri(s.ApiAddress, "/api/graphql")}
            kubectl:  export KUBECONFIG={s.KasKubeconfig ?? s.Kubeconfig}
                      ({(s.KasKubeconfig is not null ? $"through KAS as user {options.Username}; direct to the cluster: {s.Kubeconfig}"
                          : s.InProcessCluster ? "direct to the in-process test cluster, not through KAS" : "the cluster you passed with --kubeconfig")})
                      kubectl get deployments -n demo
            Change it through git:
                      git clone {s.Repository} {clone} && cd {clone}
                      sed -i 's/replicas: 2/replicas: 3/' manifests/nginx.yaml
                      git commit -am "Scale nginx" && git push
                      kubectl get deployment nginx -n demo -w      # agentk applies the push within seconds
            Press Ctrl+C to stop; run the same command again to resume.
            """);
    }
}

/// <summary>What the quickstart set up.</summary>
/// <param name="ApiAddress">KAS API and UI address.</param>
/// <param name="AgentId">The agent's id.</param>
/// <param name="PersonalAccessToken">The user's personal access token.</param>
/// <param name="Kubeconfig">Kubeconfig of the cluster.</param>
/// <param name="Repository">The demo project's bare repository.</param>
/// <param name="InProcessCluster">Whether the cluster is the in-process test cluster.</param>
public sealed record QuickstartSummary(Uri ApiAddress, long AgentId, string PersonalAccessToken, string Kubeconfig, string Repository, bool InProcessCluster)
{
    /// <summary>Kubeconfig for kubectl through the KAS Kubernetes API proxy, or <see langword="null"/> when unavailable.</summary>
    public string? KasKubeconfig { get; init; }
}
