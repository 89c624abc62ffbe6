using Grpc.Core;

namespace Gitlab.Agent.Kas.Authentication;

/// <summary>
/// Wraps a streaming call's context so that its <see cref="ServerCallContext.CancellationToken"/> also fires when the
/// connection reaches <c>max_connection_age</c>; modules end their loops normally and the interceptor completes the
/// call with status OK, so agentk reconnects without an error.
/// </summary>
internal sealed class MaxAgeServerCallContext : ServerCallContext
{
    private readonly ServerCallContext _inner;
    private readonly CancellationToken _token;

    public MaxAgeServerCallContext(ServerCallContext inner, CancellationToken token)
    {
        _inner = inner;
        _token = token;
    }

    protected override string MethodCore => _inner.Method;

    protected override string HostCore => _inner.Host;

    protected override string PeerCore => _inner.Peer;

    protected override DateTime DeadlineCore => _inner.Deadline;

    protected override Metadata RequestHeadersCore => _inner.RequestHeaders;

    protected override CancellationToken CancellationTokenCore => _token;

    protected override Metadata ResponseTrailersCore => _inner.ResponseTrailers;

    protected override Status StatusCore
    {
        get => _inner.Status;
        set => _inner.Status = value;
    }

    protected override WriteOptions? WriteOptionsCore
    {
        get => _inner.WriteOptions;
        set => _inner.WriteOptions = value;
    }

    protected override AuthContext AuthContextCore => _inner.AuthContext;

    protected override IDictionary<object, object> UserStateCore => _inner.UserState;

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => _inner.CreatePropagationToken(options);

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => _inner.WriteResponseHeadersAsync(responseHeaders);
}
