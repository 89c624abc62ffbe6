using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Testing;

/// <summary>Settings of a <see cref="KubernetesApiServer"/>. Every property has a working default.</summary>
public sealed class KubernetesApiServerOptions
{
    /// <summary>Where to write the kubeconfig; null writes it into a new temporary directory.</summary>
    public string? KubeconfigPath { get; set; }

    /// <summary>Bearer token of the admin user (group <c>system:masters</c>); null generates a random one.</summary>
    public string? AdminToken { get; set; }

    /// <summary>User name of the admin token. Default <c>kubernetes-admin</c>.</summary>
    public string AdminUserName { get; set; } = "kubernetes-admin";

    /// <summary>Evaluate RBAC (Roles, ClusterRoles and bindings) for every user outside <c>system:masters</c>. Default false: every authenticated user may do everything.</summary>
    public bool EnableRbac { get; set; }

    /// <summary>Also listen on plain http (see <see cref="KubernetesApiServer.HttpAddress"/>). Requests there without credentials act as the admin (kubectl sends no token over http).</summary>
    public bool EnableHttp { get; set; }

    /// <summary>HTTPS port; 0 (default) picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>A JSON file the objects are saved to (debounced, and on stop) and loaded from at start, or null for memory only.</summary>
    public string? PersistencePath { get; set; }

    /// <summary>How many changes are kept for watches that resume from a resourceVersion; older ones get 410 Expired. Default 10,000.</summary>
    public int WatchHistorySize { get; set; } = 10_000;

    /// <summary>How often a watch with <c>allowWatchBookmarks=true</c> gets a BOOKMARK when idle. Default 5 s.</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Run the built-in controllers (workload status, pods Running, namespaces, CRDs, garbage collection). Default true.</summary>
    public bool RunControllers { get; set; } = true;

    /// <summary>Simulate pods: workload controllers create them (Deployment → ReplicaSet → Pods, StatefulSet, DaemonSet) and a simulated scheduler and kubelet mark every pod scheduled and Running with ready containers. Default true.</summary>
    public bool SimulatePods { get; set; } = true;

    /// <summary>How long a terminating namespace waits before its contents are deleted (the real controller takes a moment too). Default 1 s.</summary>
    public TimeSpan NamespaceDeletionDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Name of the single simulated node. Default <c>node-1</c>.</summary>
    public string NodeName { get; set; } = "node-1";

    /// <summary>InternalIP of the simulated node. Default <c>10.0.0.10</c>.</summary>
    public string NodeIp { get; set; } = "10.0.0.10";

    /// <summary>Logger factory for the server (Kestrel and controllers); null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Clock for timestamps and ages; null uses the system clock.</summary>
    public TimeProvider? TimeProvider { get; set; }
}

/// <summary>Checks <see cref="KubernetesApiServerOptions"/> before the server starts.</summary>
internal sealed class KubernetesApiServerOptionsValidator : IValidateOptions<KubernetesApiServerOptions>
{
    public ValidateOptionsResult Validate(string? name, KubernetesApiServerOptions options)
    {
        var errors = new List<string>();
        if (options.Port is < 0 or > 65535)
        {
            errors.Add($"KubernetesApiServerOptions.Port must be between 0 and 65535, got {options.Port}.");
        }

        if (options.WatchHistorySize < 1)
        {
            errors.Add($"KubernetesApiServerOptions.WatchHistorySize must be at least 1, got {options.WatchHistorySize}.");
        }

        if (options.BookmarkInterval <= TimeSpan.Zero)
        {
            errors.Add($"KubernetesApiServerOptions.BookmarkInterval must be positive, got {options.BookmarkInterval}.");
        }

        if (options.AdminToken is { Length: 0 })
        {
            errors.Add("KubernetesApiServerOptions.AdminToken must not be empty (use null to generate one).");
        }

        if (string.IsNullOrWhiteSpace(options.AdminUserName))
        {
            errors.Add("KubernetesApiServerOptions.AdminUserName must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(options.NodeName))
        {
            errors.Add("KubernetesApiServerOptions.NodeName must not be empty.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
