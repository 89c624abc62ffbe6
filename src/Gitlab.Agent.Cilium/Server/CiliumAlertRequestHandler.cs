using System.Text.Json;
using Gitlab.Agent.Cilium.Alerts;
using Gitlab.Agent.Kas.Modules;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Cilium.Server;

/// <summary>
/// KAS handler for requests agents send through <c>GitlabAccess</c> for module <c>cilium_alert</c>: <c>POST /</c> with
/// <c>{"alert":{"flow":...,"ciliumNetworkPolicy":...}}</c>. Invalid requests get 400 (405 for other methods, 404 for
/// other paths) with <c>{"message":"..."}</c>; accepted alerts are merged into <see cref="ICiliumAlertStore"/> and answered
/// with 200 <c>{"fingerprint":"...","count":N}</c>.
/// </summary>
internal sealed class CiliumAlertRequestHandler : IAgentModuleRequestHandler
{
    private static readonly Dictionary<string, IReadOnlyList<string>> JsonHeaders = new(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = ["application/json"] };

    private readonly ICiliumAlertStore _store;
    private readonly GitlabAlertForwarder _forwarder;
    private readonly CiliumServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public CiliumAlertRequestHandler(ICiliumAlertStore store, GitlabAlertForwarder forwarder, IOptions<CiliumServerOptions> options, TimeProvider time, ILogger<CiliumAlertRequestHandler> logger)
    {
        _store = store;
        _forwarder = forwarder;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public string ModuleName => AlertPayload.ModuleName;

    public async Task<AgentModuleResponse> HandleAsync(AgentIdentity agent, AgentModuleRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(request);
        if (request.UrlPath is not ("/" or ""))
        {
            return Error(agent, 404, $"cilium_alert has no endpoint {request.UrlPath}; alerts are posted to /");
        }

        if (!string.Equals(request.Method, "POST", StringComparison.OrdinalIgnoreCase))
        {
            return Error(agent, 405, $"cilium_alert accepts POST only, got {request.Method}");
        }

        if (request.Body.Length > _options.MaxRequestBytes)
        {
            return Error(agent, 400, $"alert payload is {request.Body.Length} bytes; the limit is {_options.MaxRequestBytes} bytes");
        }

        if (!CiliumAlertPayloadParser.TryParse(request.Body, agent.AgentId, _time.GetUtcNow(), out var report, out var error))
        {
            return Error(agent, 400, error);
        }

        var stored = await _store.UpsertAsync(report!, cancellationToken).ConfigureAwait(false);
        CiliumServerLog.AlertStored(_logger, stored.Fingerprint, agent.AgentId, stored.PolicyNamespace, stored.PolicyName, stored.Count);
        if (report!.DroppedAlerts > 0 || report.DroppedFlows > 0)
        {
            CiliumServerLog.AgentDroppedAlerts(_logger, agent.AgentId, report.DroppedAlerts, report.DroppedFlows);
        }

        if (_forwarder.Enabled)
        {
            await _forwarder.ForwardAsync(agent, request, stored.Fingerprint, cancellationToken).ConfigureAwait(false);
        }

        return Json(200, new Dictionary<string, object> { ["fingerprint"] = stored.Fingerprint, ["count"] = stored.Count });
    }

    private AgentModuleResponse Error(AgentIdentity agent, int status, string message)
    {
        CiliumServerLog.AlertRejected(_logger, agent.AgentId, message);
        return Json(status, new Dictionary<string, object> { ["message"] = message });
    }

    private static AgentModuleResponse Json(int status, Dictionary<string, object> body) =>
        new(status, JsonHeaders, JsonSerializer.SerializeToUtf8Bytes(body));
}
