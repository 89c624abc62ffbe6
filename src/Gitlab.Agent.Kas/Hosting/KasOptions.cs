using Gitlab.Agent.Protocol.KasCfg;

namespace Gitlab.Agent.Kas;

/// <summary>Options of the KAS runtime, configured through <c>AddKas(options =&gt; …)</c> and validated on start.</summary>
public sealed class KasOptions
{
    /// <summary>The KAS configuration file (<c>kas.yaml</c>), with defaults applied. Unset values fall back to the documented defaults.</summary>
    public ConfigurationFile Configuration { get; set; } = new();

    /// <summary>
    /// GitLab internal API base URL (e.g. <c>https://gitlab.example.com</c>). <c>GitlabAccess/MakeRequest</c> calls of
    /// modules without a local <see cref="Modules.IAgentModuleRequestHandler"/> are forwarded to
    /// <c>&lt;url&gt;/api/v4/internal/kubernetes/modules/&lt;module&gt;&lt;path&gt;</c>; when unset they get 404.
    /// </summary>
    public Uri? GitlabInternalApiUrl { get; set; }

    /// <summary>Set up the Kestrel listeners from <see cref="Configuration"/> (default). Turn off to bind listeners yourself.</summary>
    public bool ConfigureKestrel { get; set; } = true;

    /// <summary>KAS version reported to agents and compared with agentk versions (default: this assembly's version).</summary>
    public string Version { get; set; } = KasVersion.Current;
}
