namespace Gitlab.Agent.Agentk;

/// <summary>
/// Settings of the agentk runtime, usually filled from the command line by <see cref="AgentkCommandLine"/>.
/// They are validated when the host starts; every problem is reported with the flag it comes from.
/// </summary>
public sealed class AgentkOptions
{
    /// <summary>
    /// KAS address (<c>--kas-address</c>): <c>grpc://host:port</c> (gRPC over plain HTTP/2), <c>grpcs://host:port</c>
    /// (gRPC over TLS) or <c>ws://</c> / <c>wss://</c> (gRPC inside a WebSocket; needs a WebSocket transport such as
    /// the one from the Gitlab.Agent.Tunnel package). Required.
    /// </summary>
    public string? KasAddress { get; set; }

    /// <summary>
    /// File holding the agent token (<c>--token-file</c>). Its contents are sent as <c>authorization: Bearer …</c>;
    /// only one trailing line break (<c>\n</c> or <c>\r\n</c>) is removed, because a header value cannot carry it.
    /// Mutually exclusive with <see cref="Token"/>.
    /// </summary>
    public string? TokenFile { get; set; }

    /// <summary>The agent token itself (environment variable <c>AGENTK_TOKEN</c>). Mutually exclusive with <see cref="TokenFile"/>.</summary>
    public string? Token { get; set; }

    /// <summary>PEM file with extra CA certificates trusted for KAS's TLS certificate, in addition to the system roots (<c>--ca-cert-file</c>).</summary>
    public string? CaCertFile { get; set; }

    /// <summary>Extra metadata sent with every call to KAS (<c>--kas-header "Name: value"</c>, repeatable).</summary>
    public IList<KeyValuePair<string, string>> KasHeaders { get; } = [];

    /// <summary>Accepts any TLS certificate from KAS (<c>--kas-insecure-skip-tls-verify</c>). For tests only.</summary>
    public bool KasInsecureSkipTlsVerify { get; set; }

    /// <summary>Server name used for SNI and certificate verification instead of the host in <see cref="KasAddress"/> (<c>--kas-tls-server-name</c>).</summary>
    public string? KasTlsServerName { get; set; }

    /// <summary>
    /// Kubeconfig file (<c>--kubeconfig</c>). When neither this nor <see cref="Context"/> is set, agentk uses the
    /// in-cluster service account; outside a cluster modules that need Kubernetes fail with a clear error.
    /// </summary>
    public string? Kubeconfig { get; set; }

    /// <summary>Kubeconfig context to use (<c>--context</c>); the default kubeconfig is read when <see cref="Kubeconfig"/> is not set.</summary>
    public string? Context { get; set; }

    /// <summary>Namespace of the agentk pod (environment variable <c>POD_NAMESPACE</c>), sent to KAS.</summary>
    public string? PodNamespace { get; set; }

    /// <summary>Name of the agentk pod (environment variable <c>POD_NAME</c>), sent to KAS.</summary>
    public string? PodName { get; set; }

    /// <summary>
    /// <c>host:port</c> (or <c>:port</c> for every interface) of the HTTP endpoint serving <c>/metrics</c>,
    /// <c>/liveness</c> and <c>/readiness</c> (<c>--observability-listen-address</c>). Not started when empty.
    /// </summary>
    public string? ObservabilityListenAddress { get; set; }
}
