using System.Net;
using System.Text.Json.Nodes;

namespace Gitlab.Agent.GitOps.Agent;

/// <summary>The Kubernetes API server answered with an error status.</summary>
internal sealed class KubernetesApiException : Exception
{
    public KubernetesApiException(HttpStatusCode statusCode, string message, string? reason = null)
        : base(message)
    {
        StatusCode = statusCode;
        Reason = reason;
    }

    public HttpStatusCode StatusCode { get; }

    /// <summary>The <c>Status.reason</c> (e.g. <c>NotFound</c>, <c>Invalid</c>, <c>Conflict</c>).</summary>
    public string? Reason { get; }

    public static KubernetesApiException FromResponse(HttpStatusCode status, string method, string path, string body)
    {
        string? message = null;
        string? reason = null;
        try
        {
            if (JsonNode.Parse(body) is JsonObject obj && obj["kind"]?.GetValue<string>() == "Status")
            {
                message = obj["message"]?.GetValue<string>();
                reason = obj["reason"]?.GetValue<string>();
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        message ??= body.Length > 500 ? body[..500] : body;
        return new KubernetesApiException(status, $"{(int)status} {reason ?? status.ToString()}: {message}", reason);
    }
}
