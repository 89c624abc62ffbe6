using Gitlab.Agent.Tunnel.Internal;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Tunnel.Server;

/// <summary>Call invoker for one agent: every call rides its own tunnel stream. Blocking calls are not supported.</summary>
internal sealed class TunnelCallInvoker(long agentId, ITunnelFinder finder, TunnelServerOptions options, TunnelMetrics metrics, ILogger logger) : CallInvoker
{
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw new NotSupportedException("Blocking calls through an agent tunnel are not supported; use the async method.");

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        var call = Start(method, options);
        var response = SingleResponseAsync(call, request);
        return new AsyncUnaryCall<TResponse>(response, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        var call = Start(method, options);
        _ = WriteSingleAsync(call, request);
        return new AsyncServerStreamingCall<TResponse>(call, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options)
    {
        var call = Start(method, options);
        return new AsyncClientStreamingCall<TRequest, TResponse>(call, ReadSingleAsync(call), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options)
    {
        var call = Start(method, options);
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(call, call, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    private TunnelClientCall<TRequest, TResponse> Start<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options)
        where TRequest : class
        where TResponse : class
    {
        var call = new TunnelClientCall<TRequest, TResponse>(agentId, method, options, finder, ServerOptions, metrics, logger);
        call.Start();
        return call;
    }

    private TunnelServerOptions ServerOptions => options;

    private static async Task WriteSingleAsync<TRequest, TResponse>(TunnelClientCall<TRequest, TResponse> call, TRequest request)
        where TRequest : class
        where TResponse : class
    {
        try
        {
            await call.WriteAsync(request).ConfigureAwait(false);
            await call.CompleteAsync().ConfigureAwait(false);
        }
        catch (RpcException)
        {
            // Surfaces through the response side.
        }
    }

    private static async Task<TResponse> SingleResponseAsync<TRequest, TResponse>(TunnelClientCall<TRequest, TResponse> call, TRequest request)
        where TRequest : class
        where TResponse : class
    {
        await WriteSingleAsync(call, request).ConfigureAwait(false);
        return await ReadSingleAsync(call).ConfigureAwait(false);
    }

    private static async Task<TResponse> ReadSingleAsync<TRequest, TResponse>(TunnelClientCall<TRequest, TResponse> call)
        where TRequest : class
        where TResponse : class
    {
        if (!await call.MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.Internal, "Agent sent no response message."));
        }

        var response = call.Current;
        while (await call.MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
        }

        return response;
    }
}
