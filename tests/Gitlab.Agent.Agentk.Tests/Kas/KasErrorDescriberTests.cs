using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using Gitlab.Agent.Agentk.Kas;
using Grpc.Core;

namespace Gitlab.Agent.Agentk.Tests.Kas;

/// <summary>Mapping of failures that the server-based tests cannot provoke cheaply.</summary>
public class KasErrorDescriberTests
{
    private static readonly Uri Address = new("grpcs://kas.example.com:8150");

    private static RpcException Rpc(StatusCode code, string detail, Exception? debug = null) => new(new Status(code, detail, debug));

    [Fact]
    public void Unauthenticated_is_slow_retry_with_kas_detail()
    {
        var error = KasErrorDescriber.Describe(Rpc(StatusCode.Unauthenticated, "the agent token was revoked"), Address);

        Assert.Equal(KasErrorKind.Unauthenticated, error.Kind);
        Assert.Equal("agent token was rejected by KAS (Unauthenticated): the token may be revoked or belong to another agent; create a new token for the agent in GitLab and update --token-file / AGENTK_TOKEN (KAS said: the agent token was revoked)", error.Message);
    }

    [Fact]
    public void FailedPrecondition_is_a_rejected_configuration() =>
        Assert.Equal(KasErrorKind.ConfigurationRejected, KasErrorDescriber.Describe(Rpc(StatusCode.FailedPrecondition, "Config: bad"), Address).Kind);

    [Fact]
    public void ResourceExhausted_is_the_rate_limit() =>
        Assert.Equal(
            "KAS rate-limited this agent (ResourceExhausted): new connection rate limit exhausted for this agent, try again later",
            KasErrorDescriber.Describe(Rpc(StatusCode.ResourceExhausted, "new connection rate limit exhausted for this agent, try again later"), Address).Message);

    [Fact]
    public void Unimplemented_mentions_version_skew() =>
        Assert.StartsWith(
            "KAS at grpcs://kas.example.com:8150 does not implement this call (Unimplemented): KAS and agentk ",
            KasErrorDescriber.Describe(Rpc(StatusCode.Unimplemented, "Method is unimplemented."), Address).Message,
            StringComparison.Ordinal);

    [Fact]
    public void Recorded_tls_name_mismatch_points_to_kas_tls_server_name()
    {
        var exception = Rpc(StatusCode.Unavailable, "Error starting gRPC call", new HttpRequestException("ssl", new AuthenticationException("The remote certificate was rejected by the provided RemoteCertificateValidationCallback.")));

        var error = KasErrorDescriber.Describe(exception, Address, "RemoteCertificateNameMismatch");

        Assert.Equal("failed to connect to KAS at grpcs://kas.example.com:8150: x509: the certificate is not valid for the host name; fix --kas-address or pass --kas-tls-server-name with a name in the certificate", error.Message);
    }

    [Fact]
    public void WebSocket_failure_explains_scheme_and_path()
    {
        var address = new Uri("wss://gitlab.example.com/-/kubernetes-agent");
        var exception = Rpc(StatusCode.Unavailable, "Error starting gRPC call", new HttpRequestException("x", new WebSocketException("The server returned status code '301' when status code '101' was expected.")));

        var error = KasErrorDescriber.Describe(exception, address);

        Assert.Equal(KasErrorKind.Misconfiguration, error.Kind);
        Assert.Contains("the WebSocket handshake failed (The server returned status code '301' when status code '101' was expected.)", error.Message, StringComparison.Ordinal);
        Assert.Contains("(wss://gitlab.example.com/-/kubernetes-agent/)", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("; '/-/kubernetes-agent' has no trailing slash, so a redirect (301) breaks the handshake", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dns_failure_wrapped_in_http_request_exception_names_the_host()
    {
        var exception = Rpc(StatusCode.Unavailable, "Error connecting to subchannel.", new SocketException((int)SocketError.HostNotFound));

        Assert.StartsWith("cannot resolve KAS host 'kas.example.com': ", KasErrorDescriber.Describe(exception, Address).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Broken_pipe_before_any_answer_is_a_server_that_closed_the_connection()
    {
        var exception = Rpc(StatusCode.Unavailable, "Error starting gRPC call. HttpRequestException: An error occurred while sending the request.", new HttpRequestException("x", new IOException("Unable to write data to the transport connection: Broken pipe.", new SocketException((int)SocketError.Shutdown))));

        var error = KasErrorDescriber.Describe(exception, Address);

        Assert.Equal(KasErrorKind.Misconfiguration, error.Kind);
        Assert.StartsWith("failed to connect to KAS at grpcs://kas.example.com:8150: the server closed the connection before answering — it may not speak gRPC over HTTP/2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancelled_by_the_http_client_is_a_dropped_connection_only_when_nothing_came_back()
    {
        var exception = Rpc(StatusCode.Cancelled, string.Empty, new OperationCanceledException());

        Assert.StartsWith(
            "failed to connect to KAS at grpcs://kas.example.com:8150: the server closed the connection before answering",
            KasErrorDescriber.Describe(exception, Address, nothingReceived: true).Message,
            StringComparison.Ordinal);
        Assert.Equal("KAS call to grpcs://kas.example.com:8150 failed (Cancelled): ", KasErrorDescriber.Describe(exception, Address).Message);
    }

    [Fact]
    public void Anything_else_keeps_the_status_and_detail()
    {
        var error = KasErrorDescriber.Describe(Rpc(StatusCode.Internal, "boom"), Address);

        Assert.Equal(KasErrorKind.Transient, error.Kind);
        Assert.Equal("KAS call to grpcs://kas.example.com:8150 failed (Internal): boom", error.Message);
    }
}
