using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using Gitlab.Agent.Agentk.Hosting;
using Grpc.Core;

namespace Gitlab.Agent.Agentk.Kas;

/// <summary>What went wrong talking to KAS, in words a person can act on.</summary>
/// <param name="Message">The cause and what to do.</param>
/// <param name="Kind">The class of failure, which decides how fast agentk retries.</param>
internal sealed record KasError(string Message, KasErrorKind Kind);

/// <summary>Classes of KAS failures.</summary>
internal enum KasErrorKind
{
    /// <summary>Network or server trouble expected to pass.</summary>
    Transient,

    /// <summary>The token was rejected (revoked or wrong): retry slowly.</summary>
    Unauthenticated,

    /// <summary>KAS rejected the agent configuration file (<c>FailedPrecondition</c>).</summary>
    ConfigurationRejected,

    /// <summary>A misconfiguration on the agent side (scheme, TLS trust, host name): retry with backoff.</summary>
    Misconfiguration,
}

/// <summary>
/// Maps the exceptions of a failed KAS call (an <see cref="RpcException"/> with its <c>DebugException</c>, a
/// <see cref="HttpRequestException"/>, socket, TLS or WebSocket errors) to the troubleshooting messages of docs/agentk.md.
/// </summary>
internal static class KasErrorDescriber
{
    /// <param name="exception">What the call threw.</param>
    /// <param name="address">The KAS address agentk dials.</param>
    /// <param name="tlsFailure">The TLS validation failure recorded by the connection, if any.</param>
    /// <param name="nothingReceived">
    /// True when the caller did not cancel the call and got nothing back: a <c>Cancelled</c> status then means the HTTP/2
    /// client gave up on a connection the server dropped before answering.
    /// </param>
    public static KasError Describe(Exception exception, Uri address, string? tlsFailure = null, bool nothingReceived = false)
    {
        var host = address.Host;
        var target = $"{address.Scheme}://{address.Authority}";
        if (exception is RpcException rpc)
        {
            switch (rpc.StatusCode)
            {
                case StatusCode.Unauthenticated:
                    return new KasError(
                        $"agent token was rejected by KAS (Unauthenticated): the token may be revoked or belong to another agent; create a new token for the agent in GitLab and update --token-file / AGENTK_TOKEN (KAS said: {rpc.Status.Detail})",
                        KasErrorKind.Unauthenticated);
                case StatusCode.PermissionDenied:
                    return new KasError($"KAS denied the request (PermissionDenied): {rpc.Status.Detail}", KasErrorKind.Unauthenticated);
                case StatusCode.FailedPrecondition:
                    return new KasError($"KAS rejected the agent configuration: {rpc.Status.Detail}", KasErrorKind.ConfigurationRejected);
                case StatusCode.ResourceExhausted:
                    return new KasError($"KAS rate-limited this agent (ResourceExhausted): {rpc.Status.Detail}", KasErrorKind.Transient);
                case StatusCode.Unimplemented:
                    return new KasError(
                        $"KAS at {target} does not implement this call (Unimplemented): KAS and agentk {AgentkVersion.Version} may be of different versions, or the address is not a KAS agent listener ({rpc.Status.Detail})",
                        KasErrorKind.Misconfiguration);
            }

            if (rpc.StatusCode == StatusCode.Cancelled && nothingReceived && rpc.Status.DebugException is OperationCanceledException)
            {
                return ClosedBeforeAnswering(target);
            }

            if (rpc.Status.Detail.StartsWith("Bad gRPC response", StringComparison.Ordinal))
            {
                return new KasError(
                    $"failed to connect to KAS at {target}: the server answered HTTP but not gRPC ({rpc.Status.Detail}) — check that --kas-address points at the KAS agent listener and uses the scheme the server listens with (grpc/grpcs vs ws/wss)",
                    KasErrorKind.Misconfiguration);
            }
        }

        var beforeResponse = exception is RpcException { Status.Detail: var detail } && detail.StartsWith("Error starting gRPC call", StringComparison.Ordinal);
        for (var e = Unwrap(exception); e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // Reset, or a broken pipe when the server closed before the client finished writing its preface.
                case SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted } when beforeResponse:
                    return ClosedBeforeAnswering(target);
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } s:
                    return new KasError(
                        $"cannot resolve KAS host '{host}': {s.Message} — check the host name in --kas-address and the cluster DNS",
                        KasErrorKind.Misconfiguration);
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return new KasError(
                        $"cannot connect to KAS at {address.Authority}: connection refused — KAS is not listening there (yet)",
                        KasErrorKind.Transient);
                case SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.HostUnreachable or SocketError.NetworkUnreachable } s:
                    return new KasError($"cannot connect to KAS at {address.Authority}: {s.Message}", KasErrorKind.Transient);
                case AuthenticationException a:
                    return DescribeTls(a, target, tlsFailure);
                case WebSocketException w:
                    return new KasError(
                        $"failed to connect to KAS at {address}: the WebSocket handshake failed ({w.Message}) — the server does not accept WebSocket connections at this URL; check that --kas-address uses the scheme the server listens with (grpc/grpcs vs ws/wss) and, for GitLab's proxy, the path with its trailing slash (wss://gitlab.example.com/-/kubernetes-agent/)" +
                        (address.AbsolutePath.Length > 1 && !address.AbsolutePath.EndsWith('/') ? $"; '{address.AbsolutePath}' has no trailing slash, so a redirect (301) breaks the handshake" : string.Empty),
                        KasErrorKind.Misconfiguration);
                case HttpRequestException { HttpRequestError: HttpRequestError.HttpProtocolError or HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded or HttpRequestError.VersionNegotiationError }:
                case HttpProtocolException:
                case HttpIOException { HttpRequestError: HttpRequestError.HttpProtocolError or HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded }:
                    return new KasError(
                        $"failed to connect to KAS at {target}: the server does not speak gRPC over HTTP/2 — check that --kas-address uses the scheme the server listens with (grpc/grpcs vs ws/wss)" +
                        (address.Scheme == "grpc" ? "; grpc:// is cleartext HTTP/2, use grpcs:// for a TLS listener" : string.Empty),
                        KasErrorKind.Misconfiguration);
            }
        }

        if (exception is RpcException other)
        {
            return new KasError($"KAS call to {target} failed ({other.StatusCode}): {other.Status.Detail}", KasErrorKind.Transient);
        }

        return new KasError($"KAS call to {target} failed: {exception.Message}", KasErrorKind.Transient);
    }

    private static KasError ClosedBeforeAnswering(string target) =>
        new(
            $"failed to connect to KAS at {target}: the server closed the connection before answering — it may not speak gRPC over HTTP/2; check that --kas-address uses the scheme the server listens with (grpc/grpcs vs ws/wss)",
            KasErrorKind.Misconfiguration);

    private static KasError DescribeTls(AuthenticationException exception, string target, string? tlsFailure)
    {
        var reason = tlsFailure ?? exception.Message;
        if (reason.Contains("UntrustedRoot", StringComparison.Ordinal) || reason.Contains("PartialChain", StringComparison.Ordinal) || reason.Contains("unknown authority", StringComparison.Ordinal))
        {
            return new KasError(
                $"failed to connect to KAS at {target}: x509: certificate signed by unknown authority; pass --ca-cert-file with the CA that signed KAS's certificate",
                KasErrorKind.Misconfiguration);
        }

        if (reason.Contains("NameMismatch", StringComparison.Ordinal))
        {
            return new KasError(
                $"failed to connect to KAS at {target}: x509: the certificate is not valid for the host name; fix --kas-address or pass --kas-tls-server-name with a name in the certificate",
                KasErrorKind.Misconfiguration);
        }

        return new KasError(
            $"failed to connect to KAS at {target}: TLS handshake failed ({reason}) — check that the server speaks TLS (grpcs/wss) or use grpc/ws for a cleartext listener",
            KasErrorKind.Misconfiguration);
    }

    private static Exception? Unwrap(Exception exception) =>
        exception is RpcException { Status.DebugException: { } debug } ? debug : exception;
}
