using Gitlab.Agent.Protocol.KubernetesApi;
using Gitlab.Agent.Tunnel.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Yarp.ReverseProxy.Forwarder;

namespace Gitlab.Agent.Tunnel.Server.Proxy;

/// <summary>
/// Shapes the request that enters the tunnel: path without the proxy prefix, KAS credentials removed (headers and
/// the <c>gitlab-agent-id</c>/<c>gitlab-csrf-token</c> query parameters), the original method kept for upgrade requests
/// (YARP sends upgrades as GET), a <c>Via</c> hop, and the agent id and impersonation for <see cref="TunnelHttpMessageHandler"/>.
/// Streamed responses (no <c>Content-Length</c>) get their headers sent at once.
/// </summary>
internal sealed class ProxyTransformer(PathString prefix, long agentId, ImpersonationConfig? impersonation) : HttpTransformer
{
    private static readonly HashSet<string> s_removedQuery = new(StringComparer.OrdinalIgnoreCase) { "gitlab-agent-id", "gitlab-csrf-token" };

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        foreach (var name in HttpHeaderRules.KasCredentials)
        {
            proxyRequest.Headers.Remove(name);
        }

        proxyRequest.Headers.TryAddWithoutValidation("Via", $"{httpContext.Request.Protocol.Replace("HTTP/", string.Empty, StringComparison.Ordinal)} gitlab-kas");
        proxyRequest.Method = new HttpMethod(httpContext.Request.Method);

        var path = httpContext.Request.Path;
        if (prefix.HasValue && prefix != "/" && path.StartsWithSegments(prefix, StringComparison.Ordinal, out var rest))
        {
            path = rest;
        }

        if (!path.HasValue)
        {
            path = "/";
        }

        var query = QueryHelpers.ParseQuery(httpContext.Request.QueryString.Value);
        var kept = query.Where(q => !s_removedQuery.Contains(q.Key)).SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v)));
        var queryString = QueryString.Create(kept);
        proxyRequest.RequestUri = new Uri(destinationPrefix.TrimEnd('/') + path.ToUriComponent() + queryString.ToUriComponent());
        proxyRequest.Options.Set(TunnelHttpMessageHandler.AgentIdKey, agentId);
        proxyRequest.Options.Set(TunnelHttpMessageHandler.ImpersonationKey, impersonation);
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var proceed = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        if (proceed && proxyResponse is { StatusCode: not System.Net.HttpStatusCode.SwitchingProtocols } && proxyResponse.Content.Headers.ContentLength is null)
        {
            // A streamed body (watch, logs -f) may not produce a byte for a long time: send the headers now, as the
            // API server does, so clients see the response start instead of waiting for the first event.
            await httpContext.Response.StartAsync(cancellationToken).ConfigureAwait(false);
            await httpContext.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        return proceed;
    }
}
