using System.Net;
using Gitlab.Agent.Tunnel.Internal;
using Gitlab.Agent.Tunnel.Server.Access;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace Gitlab.Agent.Tunnel.Server.Proxy;

/// <summary>
/// The Kubernetes API proxy on KAS's <c>agent.kubernetes_api</c> listener: authenticates <c>ci:</c>/<c>pat:</c> bearer
/// tokens, authorizes them against the agent's <c>ci_access</c>/<c>user_access</c>, and forwards the request (YARP)
/// through the agent's tunnel. Failures are answered with Kubernetes <c>Status</c> JSON.
/// </summary>
internal sealed class KubernetesApiProxy : IDisposable
{
    private readonly IHttpForwarder _forwarder;
    private readonly ProxyAuthorizer _authorizer;
    private readonly TunnelMetrics _metrics;
    private readonly ILogger<KubernetesApiProxy> _logger;
    private readonly HttpMessageInvoker _invoker;
    private readonly ForwarderRequestConfig _requestConfig;

    public KubernetesApiProxy(
        IHttpForwarder forwarder,
        ProxyAuthorizer authorizer,
        ITunnelConnectionProvider tunnels,
        IOptions<TunnelServerOptions> options,
        TunnelMetrics metrics,
        ILogger<KubernetesApiProxy> logger)
    {
        _forwarder = forwarder;
        _authorizer = authorizer;
        _metrics = metrics;
        _logger = logger;
        _invoker = new HttpMessageInvoker(new TunnelHttpMessageHandler(tunnels), disposeHandler: true);
        _requestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = options.Value.ActivityTimeout,
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            AllowResponseBuffering = false,
        };
    }

    public async Task HandleAsync(HttpContext context, PathString prefix)
    {
        if (!ProxyAccessCredential(context, out var credential, out var error))
        {
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, error).ConfigureAwait(false);
            return;
        }

        var decision = await _authorizer.AuthorizeAsync(credential!, context.RequestAborted).ConfigureAwait(false);
        if (!decision.Allowed)
        {
            await RefuseAsync(context, decision.StatusCode, decision.Error!).ConfigureAwait(false);
            return;
        }

        var transformer = new ProxyTransformer(prefix, credential!.AgentId, decision.Impersonation);
        var result = await _forwarder.SendAsync(context, "http://agent.tunnel/", _invoker, _requestConfig, transformer).ConfigureAwait(false);
        _metrics.ProxyRequests.Add(1, new KeyValuePair<string, object?>("outcome", result == ForwarderError.None ? "forwarded" : "failed"));
        if (result != ForwarderError.None)
        {
            var failure = context.Features.Get<IForwarderErrorFeature>()?.Exception;
            var message = Innermost(failure) ?? result.ToString();
            TunnelLog.ProxyRequestFailed(_logger, context.Request.Method, context.Request.Path.Value ?? string.Empty, credential.AgentId, message);
            if (!context.Response.HasStarted && result is not (ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled))
            {
                await WriteStatusAsync(context, StatusCodes.Status502BadGateway, $"GitLab agent {credential.AgentId}: {message}").ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => _invoker.Dispose();

    private static bool ProxyAccessCredential(HttpContext context, out ProxyCredential? credential, out string error) =>
        ProxyCredential.TryParse(context.Request.Headers.Authorization, out credential, out error);

    private async Task RefuseAsync(HttpContext context, int status, string message)
    {
        TunnelLog.ProxyRefused(_logger, status, message);
        _metrics.ProxyRequests.Add(1, new KeyValuePair<string, object?>("outcome", status == 401 ? "unauthenticated" : "forbidden"));
        if (status == StatusCodes.Status401Unauthorized)
        {
            // Tells clients this 401 comes from GitLab/KAS, not from the cluster.
            context.Response.Headers["Gitlab-Unauthorized"] = "true";
        }

        await WriteStatusAsync(context, status, message).ConfigureAwait(false);
    }

    internal static async Task WriteStatusAsync(HttpContext context, int status, string message)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = KubernetesStatus.ContentType;
        await context.Response.Body.WriteAsync(KubernetesStatus.Create(status, message), context.RequestAborted).ConfigureAwait(false);
    }

    private static string? Innermost(Exception? e)
    {
        string? message = null;
        for (var x = e; x is not null; x = x.InnerException)
        {
            message = x is Grpc.Core.RpcException rpc ? rpc.Status.Detail : x.Message;
            if (x is Grpc.Core.RpcException)
            {
                break;
            }
        }

        return message;
    }
}
