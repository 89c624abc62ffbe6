using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gitlab.Agent.Kas.Modules;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Cilium.Server;

/// <summary>
/// Forwards accepted alerts to GitLab's internal API like GitLab's own KAS:
/// <c>POST {gitlab}/api/v4/internal/kubernetes/modules/cilium_alert/</c> with the agent's <c>Authorization</c> header and a
/// <c>Gitlab-Kas-Api-Request</c> JWT (HS256, iss <c>gitlab-kas</c>, aud <c>gitlab</c>, valid ±5 s). Best effort: failures
/// are logged, the alert stays stored in KAS.
/// </summary>
internal sealed class GitlabAlertForwarder
{
    public const string ModulePath = "/api/v4/internal/kubernetes/modules/cilium_alert/";

    private readonly HttpClient _http;
    private readonly CiliumServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly byte[] _secret;

    public GitlabAlertForwarder(HttpClient http, IOptions<CiliumServerOptions> options, TimeProvider time, ILogger<GitlabAlertForwarder> logger)
    {
        _http = http;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _secret = string.IsNullOrWhiteSpace(_options.GitlabApiSecret) ? [] : Convert.FromBase64String(_options.GitlabApiSecret.Trim());
    }

    public bool Enabled => _options.GitlabAddress is not null && _secret.Length > 0;

    public async Task ForwardAsync(AgentIdentity agent, AgentModuleRequest request, string fingerprint, CancellationToken cancellationToken)
    {
        var values = request.Headers.FirstOrDefault(h => string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase)).Value;
        var authorization = values is { Count: > 0 } ? values[0] : null;
        if (string.IsNullOrEmpty(authorization))
        {
            CiliumServerLog.GitlabForwardSkipped(_logger, agent.AgentId);
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(_options.GitlabTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_options.GitlabAddress!, ModulePath));
            message.Headers.TryAddWithoutValidation("Authorization", authorization);
            message.Headers.TryAddWithoutValidation("Gitlab-Kas-Api-Request", CreateJwt());
            message.Content = new ReadOnlyMemoryContent(request.Body);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await _http.SendAsync(message, linked.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                CiliumServerLog.GitlabForwardFailed(_logger, fingerprint, agent.AgentId, $"HTTP {(int)response.StatusCode}");
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            CiliumServerLog.GitlabForwardFailed(_logger, fingerprint, agent.AgentId, e.Message);
        }
    }

    /// <summary>The <c>Gitlab-Kas-Api-Request</c> token.</summary>
    internal string CreateJwt()
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "HS256", ["typ"] = "JWT" }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = "gitlab-kas",
            ["aud"] = "gitlab",
            ["iat"] = now,
            ["nbf"] = now - 5,
            ["exp"] = now + 5,
        }));
        var signingInput = $"{header}.{payload}";
        var signature = HMACSHA256.HashData(_secret, Encoding.ASCII.GetBytes(signingInput));
        return $"{signingInput}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
