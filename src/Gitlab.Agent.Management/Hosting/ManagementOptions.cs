namespace Gitlab.Agent.Management;

/// <summary>Options of the management API and UI (<c>AddManagement(options =&gt; …)</c>), validated on start.</summary>
public sealed class ManagementOptions
{
    /// <summary>Serve <c>POST /api/graphql</c> (default on).</summary>
    public bool EnableGraphql { get; set; } = true;

    /// <summary>Serve the REST mirror under <c>/api/v4/projects/:id/cluster_agents</c> (default on).</summary>
    public bool EnableRest { get; set; } = true;

    /// <summary>Serve the web UI under <c>/-/ui/</c> (default on).</summary>
    public bool EnableUi { get; set; } = true;

    /// <summary>How often the UI polls for changes (default 1.5 s; between 250 ms and 60 s).</summary>
    public TimeSpan UiRefreshInterval { get; set; } = TimeSpan.FromMilliseconds(1500);

    /// <summary>
    /// Mark the UI session cookie <c>Secure</c>. <see langword="null"/> (default): only when the request came over HTTPS.
    /// </summary>
    public bool? SecureCookie { get; set; }

    /// <summary>Maximum size of a GraphQL request body in bytes (default 1 MiB).</summary>
    public int MaxGraphqlRequestBytes { get; set; } = 1024 * 1024;
}
