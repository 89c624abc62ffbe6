using System.Globalization;
using System.Text;
using System.Text.Json;
using Gitlab.Agent.Tunnel.Server.Access;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Tunnel.Server;

/// <summary>
/// Writes kubeconfig files that point kubectl at the KAS Kubernetes API proxy: for a CI job (one context per agent
/// that authorizes the job, named <c>&lt;config project path&gt;:&lt;agent name&gt;</c>, token
/// <c>ci:&lt;agent id&gt;:&lt;job token&gt;</c>, namespace = <c>default_namespace</c>) and for a user of one agent
/// (token <c>pat:&lt;agent id&gt;:&lt;personal access token&gt;</c>).
/// </summary>
public sealed class KubeconfigService
{
    private readonly ICiJobTokenService _jobTokens;
    private readonly IPersonalAccessTokenService _personalTokens;
    private readonly IAgentConfigurationStore _agents;
    private readonly IOptions<TunnelServerOptions> _options;
    private readonly Func<Uri?> _defaultUrl;

    internal KubeconfigService(
        ICiJobTokenService jobTokens,
        IPersonalAccessTokenService personalTokens,
        IAgentConfigurationStore agents,
        IOptions<TunnelServerOptions> options,
        Func<Uri?> defaultUrl)
    {
        _jobTokens = jobTokens;
        _personalTokens = personalTokens;
        _agents = agents;
        _options = options;
        _defaultUrl = defaultUrl;
    }

    /// <summary>
    /// The kubeconfig for the CI job behind <paramref name="jobToken"/>, or <see langword="null"/> when the token is
    /// invalid. The current context is set when exactly one agent authorizes the job.
    /// </summary>
    public async Task<string?> CreateForCiJobAsync(string jobToken, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobToken);
        var job = await _jobTokens.VerifyAsync(jobToken, cancellationToken).ConfigureAwait(false);
        if (job is null)
        {
            return null;
        }

        var contexts = new List<KubeContext>();
        foreach (var agent in await _agents.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (ProxyAuthorizer.FindCiAccess(agent, job) is { } access)
            {
                contexts.Add(new KubeContext($"{agent.ConfigProject.Path}:{agent.AgentName}", agent.AgentId, $"ci:{agent.AgentId}:{jobToken}", access.DefaultNamespace));
            }
        }

        return Render(contexts);
    }

    /// <summary>
    /// The kubeconfig for the user behind <paramref name="personalAccessToken"/> and agent <paramref name="agentId"/>,
    /// or <see langword="null"/> when the token is invalid or the agent is not shared with the user.
    /// </summary>
    public async Task<string?> CreateForUserAsync(string personalAccessToken, long agentId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(personalAccessToken);
        var user = await _personalTokens.VerifyAsync(personalAccessToken, cancellationToken).ConfigureAwait(false);
        var agent = user is null ? null : await _agents.GetAsync(agentId, cancellationToken).ConfigureAwait(false);
        if (user is null || agent?.Configuration.UserAccess is not { } access || ProxyAuthorizer.UserRoles(access, user).Count == 0)
        {
            return null;
        }

        return Render([new KubeContext($"{agent.ConfigProject.Path}:{agent.AgentName}", agentId, $"pat:{agentId}:{personalAccessToken}", null)]);
    }

    /// <summary>The proxy URL written into kubeconfigs, or <see langword="null"/> when the proxy is disabled (no listener, no external URL).</summary>
    internal Uri? ServerUrl => _options.Value.ExternalUrl ?? _defaultUrl();

    private string Render(IReadOnlyList<KubeContext> contexts)
    {
        var server = ServerUrl
            ?? throw new InvalidOperationException("The Kubernetes API proxy URL is unknown: configure agent.kubernetes_api.listen or TunnelServerOptions.ExternalUrl.");
        var ca = _options.Value.CertificateAuthorityFile is { Length: > 0 } file
            ? Convert.ToBase64String(Encoding.UTF8.GetBytes(File.ReadAllText(file)))
            : null;
        var yaml = new StringBuilder();
        yaml.AppendLine("apiVersion: v1");
        yaml.AppendLine("kind: Config");
        yaml.AppendLine("clusters:");
        yaml.AppendLine("- name: \"gitlab\"");
        yaml.AppendLine("  cluster:");
        yaml.Append("    server: ").AppendLine(Quote(server.ToString().TrimEnd('/')));
        if (ca is not null)
        {
            yaml.Append("    certificate-authority-data: ").AppendLine(Quote(ca));
        }

        yaml.AppendLine(contexts.Count == 0 ? "users: []" : "users:");
        foreach (var c in contexts)
        {
            yaml.Append("- name: ").AppendLine(Quote(UserName(c.AgentId)));
            yaml.AppendLine("  user:");
            yaml.Append("    token: ").AppendLine(Quote(c.Token));
        }

        yaml.AppendLine(contexts.Count == 0 ? "contexts: []" : "contexts:");
        foreach (var c in contexts)
        {
            yaml.Append("- name: ").AppendLine(Quote(c.Name));
            yaml.AppendLine("  context:");
            yaml.AppendLine("    cluster: \"gitlab\"");
            yaml.Append("    user: ").AppendLine(Quote(UserName(c.AgentId)));
            if (c.Namespace is { } ns)
            {
                yaml.Append("    namespace: ").AppendLine(Quote(ns));
            }
        }

        if (contexts.Count == 1)
        {
            yaml.Append("current-context: ").AppendLine(Quote(contexts[0].Name));
        }

        return yaml.ToString();
    }

    private static string UserName(long agentId) => "agent:" + agentId.ToString(CultureInfo.InvariantCulture);

    /// <summary>A JSON string is a valid YAML double-quoted scalar.</summary>
    private static string Quote(string value) => JsonSerializer.Serialize(value, s_quoting);

    private static readonly JsonSerializerOptions s_quoting = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private sealed record KubeContext(string Name, long AgentId, string Token, string? Namespace);
}
