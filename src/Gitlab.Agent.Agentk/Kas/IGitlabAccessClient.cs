namespace Gitlab.Agent.Agentk.Kas;

/// <summary>
/// Sends HTTP-shaped requests from an agent module to GitLab through KAS (<c>GitlabAccess/MakeRequest</c>).
/// </summary>
public interface IGitlabAccessClient
{
    /// <summary>
    /// Sends one request for <paramref name="moduleName"/> and returns the status code and body.
    /// Throws <see cref="Grpc.Core.RpcException"/> when KAS cannot be reached.
    /// </summary>
    Task<GitlabAccessResponse> SendAsync(
        string moduleName,
        string method,
        string urlPath,
        ReadOnlyMemory<byte> body,
        IReadOnlyDictionary<string, string>? headers = null,
        CancellationToken cancellationToken = default);
}

/// <summary>The answer KAS relayed for an <see cref="IGitlabAccessClient"/> request.</summary>
/// <param name="StatusCode">HTTP status code.</param>
/// <param name="Body">Response body.</param>
public sealed record GitlabAccessResponse(int StatusCode, ReadOnlyMemory<byte> Body);
