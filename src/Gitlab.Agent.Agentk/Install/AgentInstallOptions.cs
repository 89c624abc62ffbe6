namespace Gitlab.Agent.Agentk.Install;

/// <summary>What <see cref="AgentInstallManifests"/> generates: the stock agentk deployment for one agent token.</summary>
public sealed class AgentInstallOptions
{
    /// <summary>The agent token (<c>glagent-…</c>), stored in a Secret (key <c>token</c>). Required.</summary>
    public string AgentToken { get; set; } = string.Empty;

    /// <summary>KAS address passed as <c>--kas-address</c> (<c>grpc://</c>, <c>grpcs://</c>, <c>ws://</c> or <c>wss://</c>). Required.</summary>
    public string KasAddress { get; set; } = string.Empty;

    /// <summary>agentk version: the image tag (default: this agentk's version).</summary>
    public string AgentVersion { get; set; } = Hosting.AgentkVersion.Version;

    /// <summary>Image repository; the tag is <see cref="AgentVersion"/>. Ignored when <see cref="Image"/> is set.</summary>
    public string ImageRepository { get; set; } = "registry.gitlab.com/gitlab-org/cluster-integration/gitlab-agent/agentk";

    /// <summary>Full image reference, overriding <see cref="ImageRepository"/>:<see cref="AgentVersion"/>.</summary>
    public string? Image { get; set; }

    /// <summary>Namespace for the agent (created). Default <c>gitlab-agent</c>.</summary>
    public string Namespace { get; set; } = "gitlab-agent";

    /// <summary>Base name of the objects. Default <c>gitlab-agent</c>.</summary>
    public string Name { get; set; } = "gitlab-agent";

    /// <summary>PEM CA certificate(s) KAS's TLS certificate chains to, mounted from a ConfigMap and passed as <c>--ca-cert-file</c>.</summary>
    public string? CaCertificatePem { get; set; }

    /// <summary>Grant the agent cluster-wide read and write (<c>…-gitops-read-all</c>, <c>…-gitops-write-all</c>). Default true.</summary>
    public bool ClusterWideAccess { get; set; } = true;
}
