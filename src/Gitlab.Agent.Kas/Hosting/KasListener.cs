namespace Gitlab.Agent.Kas;

/// <summary>The listeners a KAS serves. Modules map endpoints per listener.</summary>
public enum KasListener
{
    /// <summary>gRPC listener agentk connects to (<c>agent.listen</c>), plain gRPC and/or WebSocket.</summary>
    Agent,

    /// <summary>HTTP API listener (<c>api.listen</c>): push notifications, management API and UI.</summary>
    Api,

    /// <summary>Kubernetes API proxy listener (<c>agent.kubernetes_api.listen</c>) used by kubectl and CI jobs.</summary>
    KubernetesApi,

    /// <summary>Observability listener: health probes and <c>/metrics</c>.</summary>
    Observability,
}
