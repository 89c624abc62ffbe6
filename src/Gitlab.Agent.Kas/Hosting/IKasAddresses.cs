namespace Gitlab.Agent.Kas;

/// <summary>
/// The addresses KAS listeners are bound to, available once the host has started (port 0 in the configuration picks a
/// free port; this tells which).
/// </summary>
public interface IKasAddresses
{
    /// <summary>
    /// Agent listener as agentk's <c>--kas-address</c>: <c>grpc://host:port</c> or <c>grpcs://host:port</c>
    /// (<c>ws://</c> / <c>wss://</c> with <c>agent.listen.websocket</c>).
    /// </summary>
    Uri Agent { get; }

    /// <summary>API listener: <c>http://host:port</c> or <c>https://host:port</c>.</summary>
    Uri Api { get; }

    /// <summary>Observability listener (<c>/metrics</c>, <c>/liveness</c>, <c>/readiness</c>).</summary>
    Uri Observability { get; }

    /// <summary>Kubernetes API proxy listener, or <see langword="null"/> when <c>agent.kubernetes_api.listen</c> is not configured.</summary>
    Uri? KubernetesApi { get; }

    /// <summary>The address of <paramref name="listener"/>, or <see langword="null"/> when it is not configured.</summary>
    Uri? Get(KasListener listener);
}
