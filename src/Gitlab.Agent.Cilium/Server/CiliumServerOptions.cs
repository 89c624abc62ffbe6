namespace Gitlab.Agent.Cilium;

/// <summary>Settings of the KAS half of Cilium alerts (<c>AddCilium()</c> on the KAS builder).</summary>
public sealed class CiliumServerOptions
{
    /// <summary>Largest accepted alert request body. Default 1 MiB.</summary>
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>SQLite database file of the alert store. Default <c>data/cilium-alerts.db</c>.</summary>
    public string DatabasePath { get; set; } = Path.Combine("data", "cilium-alerts.db");

    /// <summary>Distinct alerts kept per agent; the least recently seen are removed beyond it. Default 10,000.</summary>
    public int MaxAlertsPerAgent { get; set; } = 10_000;

    /// <summary>
    /// When set, every accepted alert is also forwarded to this GitLab instance's internal API
    /// (<c>POST {address}/api/v4/internal/kubernetes/modules/cilium_alert/</c>), as GitLab's own KAS does.
    /// </summary>
    public Uri? GitlabAddress { get; set; }

    /// <summary>
    /// Base64 of the shared secret GitLab and KAS use for the <c>Gitlab-Kas-Api-Request</c> JWT (the content of
    /// GitLab's <c>.gitlab_kas_secret</c>). Required with <see cref="GitlabAddress"/>.
    /// </summary>
    public string? GitlabApiSecret { get; set; }

    /// <summary>Timeout of one forward to GitLab. Default 10 s.</summary>
    public TimeSpan GitlabTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
