using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gitlab.Agent.Kas.Diagnostics;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Kas.Repositories;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Kas.Services;

/// <summary>
/// Built-in module: push notifications on the API listener. <c>POST /-/refresh/&lt;group/project&gt;</c> (git hooks, scripts)
/// and <c>POST /-/push</c> (GitLab, GitHub and Gitea push webhooks) refresh the project's repository at once and wake
/// every configuration and GitOps stream of that project.
/// </summary>
internal sealed class PushNotificationModule(
    IRepositoryRefresher refresher,
    IProjectChangeNotifier notifier,
    KasRuntimeSettings settings,
    KasMetrics metrics,
    ILogger<PushNotificationModule> logger) : IKasModule
{
    public const int MaxPayloadSize = 25 * 1024 * 1024;

    public string Name => "push_notifications";

    public void MapEndpoints(KasListener listener, IEndpointRouteBuilder endpoints)
    {
        if (listener != KasListener.Api)
        {
            return;
        }

        endpoints.MapPost("/-/refresh/{**project}", RefreshAsync);
        endpoints.MapPost("/-/push", (Func<HttpContext, Task<IResult>>)WebhookAsync);
    }

    private async Task<IResult> RefreshAsync(HttpContext context, string project)
    {
        var body = await ReadBodyAsync(context);
        if (body is null)
        {
            return Results.Text($"payload larger than {MaxPayloadSize} bytes\n", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        if (!IsAuthorized(context.Request, body, out var reason))
        {
            KasLog.PushNotificationRejected(logger, reason);
            return Results.Text(reason + "\n", statusCode: StatusCodes.Status401Unauthorized);
        }

        metrics.PushNotificationReceived("refresh");
        return await RefreshProjectAsync(project.TrimEnd('/'), "refresh", context.RequestAborted);
    }

    private async Task<IResult> WebhookAsync(HttpContext context)
    {
        var body = await ReadBodyAsync(context);
        if (body is null)
        {
            return Results.Text($"payload larger than {MaxPayloadSize} bytes\n", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        if (!IsAuthorized(context.Request, body, out var reason))
        {
            KasLog.PushNotificationRejected(logger, reason);
            return Results.Text(reason + "\n", statusCode: StatusCodes.Status401Unauthorized);
        }

        var headers = context.Request.Headers;
        string source;
        string[] projectPath;
        if (headers.ContainsKey("X-Gitlab-Event"))
        {
            if (headers["X-Gitlab-Event"] != "Push Hook" && headers["X-Gitlab-Event"] != "Tag Push Hook")
            {
                return Results.Text($"ignored GitLab event '{headers["X-Gitlab-Event"]}'\n", statusCode: StatusCodes.Status202Accepted);
            }

            (source, projectPath) = ("gitlab", ["project", "path_with_namespace"]);
        }
        else if (headers.ContainsKey("X-Gitea-Event"))
        {
            if (headers["X-Gitea-Event"] != "push")
            {
                return Results.Text($"ignored Gitea event '{headers["X-Gitea-Event"]}'\n", statusCode: StatusCodes.Status202Accepted);
            }

            (source, projectPath) = ("gitea", ["repository", "full_name"]);
        }
        else if (headers.ContainsKey("X-GitHub-Event"))
        {
            if (headers["X-GitHub-Event"] != "push")
            {
                return Results.Text($"ignored GitHub event '{headers["X-GitHub-Event"]}'\n", statusCode: StatusCodes.Status202Accepted);
            }

            (source, projectPath) = ("github", ["repository", "full_name"]);
        }
        else
        {
            return Results.Text("unknown webhook: expected an X-Gitlab-Event, X-GitHub-Event or X-Gitea-Event header\n", statusCode: StatusCodes.Status400BadRequest);
        }

        string? project;
        try
        {
            using var document = JsonDocument.Parse(body);
            var element = document.RootElement;
            foreach (var key in projectPath)
            {
                element = element.ValueKind == JsonValueKind.Object && element.TryGetProperty(key, out var child) ? child : default;
            }

            project = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        }
        catch (JsonException ex)
        {
            return Results.Text($"invalid JSON payload: {ex.Message}\n", statusCode: StatusCodes.Status400BadRequest);
        }

        if (string.IsNullOrEmpty(project))
        {
            return Results.Text($"the {source} payload has no {string.Join('.', projectPath)}\n", statusCode: StatusCodes.Status400BadRequest);
        }

        metrics.PushNotificationReceived(source);
        return await RefreshProjectAsync(project, source, context.RequestAborted);
    }

    private async Task<IResult> RefreshProjectAsync(string project, string source, CancellationToken cancellationToken)
    {
        if (ProjectPaths.Validate(project) is { } error)
        {
            return Results.Text(error + "\n", statusCode: StatusCodes.Status400BadRequest);
        }

        bool changed;
        try
        {
            changed = await refresher.RefreshAsync(project, cancellationToken);
        }
        catch (RepositoryException ex) when (ex.Kind == RepositoryErrorKind.ProjectNotFound)
        {
            return Results.Text(ex.Message + "\n", statusCode: StatusCodes.Status404NotFound);
        }
        catch (RepositoryException ex)
        {
            return Results.Text(ex.Message + "\n", statusCode: StatusCodes.Status502BadGateway);
        }

        KasLog.ProjectChanged(logger, project, source);
        notifier.NotifyChanged(project);
        return Results.Json(new PushResult(project, changed));
    }

    /// <summary>Checks the shared secret: a token header (<c>X-Kas-Push-Token</c>, <c>X-Gitlab-Token</c>) or an HMAC-SHA256 signature (GitHub, Gitea).</summary>
    private bool IsAuthorized(Microsoft.AspNetCore.Http.HttpRequest request, byte[] body, out string reason)
    {
        reason = "";
        if (settings.PushSecretFile is null)
        {
            return true;
        }

        string secret;
        try
        {
            secret = File.ReadAllText(settings.PushSecretFile).Trim();
        }
        catch (IOException ex)
        {
            reason = $"api.push_notifications.secret_file '{settings.PushSecretFile}' cannot be read: {ex.Message}";
            return false;
        }

        var secretBytes = Encoding.UTF8.GetBytes(secret);
        foreach (var header in new[] { "X-Kas-Push-Token", "X-Gitlab-Token" })
        {
            if (request.Headers.TryGetValue(header, out var token) && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token.ToString()), secretBytes))
            {
                return true;
            }
        }

        var expected = HMACSHA256.HashData(secretBytes, body);
        if (request.Headers.TryGetValue("X-Hub-Signature-256", out var github) && github.ToString().StartsWith("sha256=", StringComparison.Ordinal)
            && MatchesHex(github.ToString()[7..], expected))
        {
            return true;
        }

        if (request.Headers.TryGetValue("X-Gitea-Signature", out var gitea) && MatchesHex(gitea.ToString(), expected))
        {
            return true;
        }

        reason = "missing or wrong push notification secret (X-Kas-Push-Token, X-Gitlab-Token, X-Hub-Signature-256 or X-Gitea-Signature)";
        return false;
    }

    private static bool MatchesHex(string hex, byte[] expected)
    {
        try
        {
            return CryptographicOperations.FixedTimeEquals(Convert.FromHexString(hex), expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxPayloadSize)
            {
                return null;
            }

            await buffer.WriteAsync(chunk.AsMemory(0, read), context.RequestAborted);
        }

        return buffer.ToArray();
    }

    private sealed record PushResult(string Project, bool Changed);
}
