using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gitlab.Agent.Tunnel.Internal;

/// <summary>Kubernetes <c>metav1.Status</c> error bodies, which kubectl prints as-is.</summary>
internal static class KubernetesStatus
{
    public const string ContentType = "application/json";

    public static byte[] Create(int code, string message)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = Reason(code),
            ["code"] = code,
        };
        return JsonSerializer.SerializeToUtf8Bytes(status);
    }

    private static string Reason(int code) => code switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => ((HttpStatusCode)code).ToString(),
    };
}
