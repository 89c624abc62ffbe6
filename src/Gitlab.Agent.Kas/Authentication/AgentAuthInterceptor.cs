using Gitlab.Agent.Kas.Diagnostics;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Kas.Registry;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Kas.Authentication;

/// <summary>
/// Guards every gRPC call that arrives on the agent listener: per-token rate limit (<c>ResourceExhausted</c>), then
/// <c>authorization: Bearer &lt;token&gt;</c> checked by <see cref="IAgentAuthenticator"/> (<c>Unauthenticated</c>).
/// Streaming calls also end gracefully (status OK) at <c>max_connection_age</c> (with up to 5 % jitter).
/// Calls on other listeners pass through untouched.
/// </summary>
internal sealed class AgentAuthInterceptor(
    IAgentAuthenticator authenticator,
    TokenRateLimiter rateLimiter,
    KasRuntimeSettings settings,
    KasMetrics metrics,
    TimeProvider timeProvider,
    ILogger<AgentAuthInterceptor> logger) : Interceptor
{
    public const string RateLimitMessage = "new connection rate limit exhausted for this agent, try again later";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await AuthenticateAsync(context);
        return await continuation(request, context);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthenticateAsync(context);
        return await continuation(requestStream, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (!await AuthenticateAsync(context))
        {
            await continuation(request, responseStream, context);
            return;
        }

        await RunWithMaxAgeAsync(context, c => continuation(request, responseStream, c));
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (!await AuthenticateAsync(context))
        {
            await continuation(requestStream, responseStream, context);
            return;
        }

        await RunWithMaxAgeAsync(context, c => continuation(requestStream, responseStream, c));
    }

    private async Task RunWithMaxAgeAsync(ServerCallContext context, Func<ServerCallContext, Task> run)
    {
        var age = settings.MaxConnectionAge * (1 - (Random.Shared.NextDouble() * 0.05));
        using var maxAge = new CancellationTokenSource(age, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, maxAge.Token);
        try
        {
            await run(new MaxAgeServerCallContext(context, linked.Token));
        }
        catch (Exception ex) when (maxAge.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested
            && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            // Max connection age reached: end the stream with OK; agentk reconnects with its last commit id.
        }
    }

    /// <summary>Returns <see langword="false"/> for calls that are not on the agent listener.</summary>
    private async ValueTask<bool> AuthenticateAsync(ServerCallContext context)
    {
        var httpContext = context.GetHttpContext();
        if (KasListenerTag.Get(httpContext) != KasListener.Agent)
        {
            return false;
        }

        var header = context.RequestHeaders.GetValue("authorization");
        const string Bearer = "Bearer ";
        if (header is null || !header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) || header.Length == Bearer.Length)
        {
            metrics.AuthenticationFailed("missing_token");
            KasLog.AuthenticationFailed(logger, context.Method, "missing or malformed authorization metadata");
            throw new RpcException(new Status(StatusCode.Unauthenticated, "authorization metadata with a Bearer agent token is required"));
        }

        var token = header[Bearer.Length..];
        if (!rateLimiter.TryAcquire(AgentTokens.Hash(token)))
        {
            metrics.AuthenticationFailed("rate_limited");
            throw new RpcException(new Status(StatusCode.ResourceExhausted, RateLimitMessage));
        }

        var identity = await authenticator.AuthenticateAsync(token, context.CancellationToken);
        if (identity is null)
        {
            metrics.AuthenticationFailed("invalid_token");
            KasLog.AuthenticationFailed(logger, context.Method, "unknown or revoked token");
            throw new RpcException(new Status(StatusCode.Unauthenticated, "unknown or revoked agent token"));
        }

        context.UserState[AgentCallState.IdentityKey] = identity;
        context.UserState[AgentCallState.TokenKey] = token;
        context.UserState[AgentCallState.AuthenticatorKey] = authenticator;
        context.UserState["__HttpContext"] = httpContext;
        return true;
    }
}
