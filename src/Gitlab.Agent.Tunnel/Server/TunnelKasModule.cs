using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Tunnel.Server.Proxy;
using Gitlab.Agent.Tunnel.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Tunnel.Server;

/// <summary>
/// KAS half of the tunnel: <c>ReverseTunnel/Connect</c> on the agent listener, the Kubernetes API proxy on the
/// <c>agent.kubernetes_api</c> listener, and kubeconfig downloads on the API listener
/// (<c>GET /api/v4/job/kubeconfig</c> with <c>Job-Token</c>, <c>GET /api/v4/user/agents/{agentId}/kubeconfig</c> with <c>Private-Token</c>).
/// </summary>
internal sealed class TunnelKasModule(
    KubernetesApiProxy proxy,
    KubeconfigService kubeconfigs,
    ProxyPathPrefix prefix,
    WebSocketTunnelEndPoint webSockets,
    IOptions<KasOptions> kasOptions) : IKasModule
{
    public string Name => "kubernetes_api";

    public void MapEndpoints(KasListener listener, IEndpointRouteBuilder endpoints)
    {
        switch (listener)
        {
            case KasListener.Agent:
                endpoints.MapGrpcService<ReverseTunnelService>();
                if (kasOptions.Value.Configuration.Agent?.Listen?.Websocket == true)
                {
                    // WebSocket handshakes on the agent socket (any path: agents may dial wss://host/-/kubernetes-agent/).
                    endpoints.MapGet("/{**path}", context => WebSocketTunnelEndPoint.IsTunnelled(context)
                        ? Results.NotFound().ExecuteAsync(context)
                        : webSockets.AcceptAsync(context)).WithDisplayName("Agent WebSocket transport");
                }

                break;
            case KasListener.KubernetesApi:
                MapProxy(endpoints);
                break;
            case KasListener.Api:
                MapKubeconfig(endpoints);
                break;
        }
    }

    /// <summary>Whether the proxy was mapped on a listener (false when KAS has no <c>agent.kubernetes_api</c> listener).</summary>
    internal bool ProxyMapped { get; private set; }

    internal void MapProxy(IEndpointRouteBuilder endpoints)
    {
        ProxyMapped = true;
        var path = prefix.Value;
        RequestDelegate handler = context => proxy.HandleAsync(context, path);
        if (path == "/")
        {
            endpoints.Map("/{**path}", handler).WithDisplayName("Kubernetes API proxy");
        }
        else
        {
            endpoints.Map(path.Value!, handler).WithDisplayName("Kubernetes API proxy (root)");
            endpoints.Map(path.Value + "/{**path}", handler).WithDisplayName("Kubernetes API proxy");
        }
    }

    internal void MapKubeconfig(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/v4/job/kubeconfig", async (HttpContext context) =>
        {
            if (await RefuseWhenProxyDisabledAsync(context))
            {
                return;
            }

            var token = context.Request.Headers["Job-Token"].ToString();
            var yaml = token.Length == 0 ? null : await kubeconfigs.CreateForCiJobAsync(token, context.RequestAborted);
            await WriteAsync(context, yaml, "a valid Job-Token header is required");
        });
        endpoints.MapGet("/api/v4/user/agents/{agentId:long}/kubeconfig", async (HttpContext context, long agentId) =>
        {
            if (await RefuseWhenProxyDisabledAsync(context))
            {
                return;
            }

            var token = context.Request.Headers["Private-Token"].ToString();
            var yaml = token.Length == 0 ? null : await kubeconfigs.CreateForUserAsync(token, agentId, context.RequestAborted);
            await WriteAsync(context, yaml, "a valid Private-Token header (personal access token with the k8s_proxy scope) for a user the agent is shared with (user_access) is required");
        });
    }

    /// <summary>Without a proxy URL there is nothing to point kubectl at: 503 instead of a kubeconfig.</summary>
    private async Task<bool> RefuseWhenProxyDisabledAsync(HttpContext context)
    {
        if (kubeconfigs.ServerUrl is not null)
        {
            return false;
        }

        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        await context.Response.WriteAsync("the Kubernetes API proxy is disabled: KAS has no agent.kubernetes_api listener and TunnelServerOptions.ExternalUrl is not set\n", context.RequestAborted);
        return true;
    }

    private static async Task WriteAsync(HttpContext context, string? yaml, string error)
    {
        if (yaml is null)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await context.Response.WriteAsync(error + "\n", context.RequestAborted);
            return;
        }

        context.Response.ContentType = "application/yaml";
        await context.Response.WriteAsync(yaml, context.RequestAborted);
    }
}

/// <summary>The proxy's path prefix: <see cref="TunnelServerOptions.UrlPathPrefix"/>, else <c>agent.kubernetes_api.url_path_prefix</c>, else <c>/</c>.</summary>
internal sealed class ProxyPathPrefix
{
    public ProxyPathPrefix(IOptions<TunnelServerOptions> options, IOptions<KasOptions>? kasOptions = null)
    {
        var raw = options.Value.UrlPathPrefix ?? kasOptions?.Value.Configuration.Agent?.KubernetesApi?.UrlPathPrefix;
        raw = string.IsNullOrWhiteSpace(raw) ? "/" : raw.Trim();
        if (!raw.StartsWith('/'))
        {
            raw = "/" + raw;
        }

        raw = raw.Length > 1 ? raw.TrimEnd('/') : raw;
        Value = new PathString(raw.Length == 0 ? "/" : raw);
    }

    public PathString Value { get; }
}
