using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Gitlab.Agent.Kas.Users;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Management;

/// <summary>
/// The web UI under <c>/-/ui/</c>: sign-in with a personal access token (kept in an HttpOnly, SameSite=Strict cookie
/// scoped to <c>/-/ui</c>), the agent overview, project and agent pages, and for each page a JSON state endpoint under
/// <c>/-/ui/api/…</c> that the page polls to update itself without a reload.
/// </summary>
internal static class UiEndpoints
{
    private const string LoginPath = UiPaths.Root + "/login";

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(UiPaths.Root + "/", (Delegate)((HttpContext c) => PageAsync(c, (v, u, ct) => v.HomeAsync(u, ct)!, UiPaths.Root + "/api/home")));
        endpoints.MapGet(UiPaths.Root + "/api/home", (Delegate)((HttpContext c) => StateAsync(c, (v, u, ct) => v.HomeAsync(u, ct)!)));
        endpoints.MapGet(UiPaths.Root + "/projects/{**path}", (HttpContext c, string path) =>
            PageAsync(c, (v, u, ct) => v.ProjectAsync(u, path, ct), UiPaths.Root + "/api/projects/" + path));
        endpoints.MapGet(UiPaths.Root + "/api/projects/{**path}", (HttpContext c, string path) => StateAsync(c, (v, u, ct) => v.ProjectAsync(u, path, ct)));
        endpoints.MapGet(UiPaths.Root + "/agents/{id:long}", (HttpContext c, long id) =>
            PageAsync(c, (v, u, ct) => v.AgentAsync(u, id, ct), UiPaths.Root + "/api/agents/" + id.ToString(CultureInfo.InvariantCulture)));
        endpoints.MapGet(UiPaths.Root + "/api/agents/{id:long}", (HttpContext c, long id) => StateAsync(c, (v, u, ct) => v.AgentAsync(u, id, ct)));
        endpoints.MapGet(LoginPath, (HttpContext c) => LoginForm(c, null));
        endpoints.MapPost(LoginPath, (Delegate)LoginAsync);
        endpoints.MapPost(UiPaths.Root + "/logout", Logout);
        endpoints.MapGet(UiPaths.Root + "/assets/{name}", Asset);
    }

    private static async Task<IResult> PageAsync(HttpContext context, Func<UiViews, AuthenticatedUser, CancellationToken, Task<UiView?>> render, string stateUrl)
    {
        var user = await UserAsync(context);
        if (user is null)
        {
            return Results.Redirect(LoginPath + "?return_to=" + Uri.EscapeDataString(context.Request.Path + context.Request.QueryString));
        }

        var view = await render(context.RequestServices.GetRequiredService<UiViews>(), user, context.RequestAborted);
        if (view is null)
        {
            return HtmlResult(Layout(context, "Not found", user, "<h1>Not found</h1><p>The page does not exist or you don't have permission to see it.</p>", null, null),
                StatusCodes.Status404NotFound);
        }

        return HtmlResult(Layout(context, view.Title, user, view.Html, stateUrl, ETag(view.Html)));
    }

    private static async Task<IResult> StateAsync(HttpContext context, Func<UiViews, AuthenticatedUser, CancellationToken, Task<UiView?>> render)
    {
        var user = await UserAsync(context);
        if (user is null)
        {
            return Results.Json(new JsonObject { ["message"] = "401 Unauthorized" }, statusCode: StatusCodes.Status401Unauthorized);
        }

        var view = await render(context.RequestServices.GetRequiredService<UiViews>(), user, context.RequestAborted);
        if (view is null)
        {
            return Results.Json(new JsonObject { ["message"] = "404 Not found" }, statusCode: StatusCodes.Status404NotFound);
        }

        context.Response.Headers.CacheControl = "no-store";
        return Results.Json(new JsonObject { ["etag"] = ETag(view.Html), ["html"] = view.Html, ["data"] = view.Data });
    }

    private static IResult LoginForm(HttpContext context, string? error)
    {
        var returnTo = SafeReturnTo(context.Request.Query["return_to"].ToString());
        var html = new Html();
        html.Raw("<div class=\"login\"><h1>Sign in</h1><p class=\"muted\">Paste a personal access token with the <code>api</code> or <code>read_api</code> scope ")
            .Raw("(create one with <code>kas tokens create-personal --username you --scopes api</code>).</p>");
        if (error is not null)
        {
            html.Element("div", error, "error", "login-error");
        }

        html.Raw("<form method=\"post\" action=\"").Text(LoginPath).Raw("\">")
            .Raw("<input type=\"hidden\" name=\"return_to\" value=\"").Text(returnTo).Raw("\">")
            .Raw("<label for=\"token\">Personal access token</label>")
            .Raw("<input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"off\" data-testid=\"token-input\" required>")
            .Raw("<button type=\"submit\" data-testid=\"sign-in\">Sign in</button></form></div>");
        var page = $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in · GitLab agent</title>" +
            $"<link rel=\"stylesheet\" href=\"{UiPaths.Root}/assets/app.css\"></head><body>{html}</body></html>";
        return HtmlResult(page, error is null ? StatusCodes.Status200OK : StatusCodes.Status401Unauthorized);
    }

    private static async Task<IResult> LoginAsync(HttpContext context)
    {
        if (!IsSameOrigin(context.Request))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        if (!context.Request.HasFormContentType)
        {
            return LoginForm(context, "Send the sign-in form.");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var token = form["token"].ToString().Trim();
        var authenticator = context.RequestServices.GetRequiredService<ManagementAuthenticator>();
        var user = token.Length == 0 ? null : await authenticator.AuthenticateTokenAsync(token, context.RequestAborted);
        if (user is null || !Services.AgentManagementService.CanRead(user))
        {
            return LoginForm(context, user is null
                ? "Invalid token: it is unknown, revoked or expired."
                : "The token needs the api or read_api scope.");
        }

        var options = context.RequestServices.GetRequiredService<IOptions<ManagementOptions>>().Value;
        context.Response.Cookies.Append(ManagementAuthenticator.UiCookieName, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = options.SecureCookie ?? context.Request.IsHttps,
            Path = UiPaths.Root,
            IsEssential = true,
        });
        var logger = context.RequestServices.GetRequiredService<ILogger<UiViews>>();
        ManagementLog.UiLogin(logger, user.User.Username);
        return Results.Redirect(SafeReturnTo(form["return_to"].ToString()), permanent: false, preserveMethod: false);
    }

    private static IResult Logout(HttpContext context)
    {
        if (!IsSameOrigin(context.Request))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        context.Response.Cookies.Delete(ManagementAuthenticator.UiCookieName, new CookieOptions { Path = UiPaths.Root });
        return Results.Redirect(LoginPath);
    }

    private static IResult Asset(string name)
    {
        var contentType = name switch
        {
            "app.js" => "text/javascript; charset=utf-8",
            "app.css" => "text/css; charset=utf-8",
            _ => null,
        };
        var stream = contentType is null ? null : typeof(UiEndpoints).Assembly.GetManifestResourceStream("Gitlab.Agent.Management.Ui.Assets." + name);
        return stream is null ? Results.NotFound() : Results.Stream(stream, contentType);
    }

    private static Task<AuthenticatedUser?> UserAsync(HttpContext context) =>
        context.RequestServices.GetRequiredService<ManagementAuthenticator>().AuthenticateUiAsync(context.Request, context.RequestAborted);

    private static string Layout(HttpContext context, string title, AuthenticatedUser user, string content, string? stateUrl, string? etag)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<ManagementOptions>>().Value;
        var refreshMs = ((int)options.UiRefreshInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(Html.Encode(title)).Append(" · GitLab agent</title>")
            .Append("<link rel=\"stylesheet\" href=\"").Append(UiPaths.Root).Append("/assets/app.css\"></head><body>")
            .Append("<header><a href=\"").Append(UiPaths.Root).Append("/\">GitLab agent for Kubernetes</a><span class=\"spacer\"></span>")
            .Append("<span id=\"live\" class=\"live\"></span><span data-testid=\"current-user\">").Append(Html.Encode(user.User.Username)).Append("</span>")
            .Append("<form method=\"post\" action=\"").Append(UiPaths.Root).Append("/logout\"><button type=\"submit\">Sign out</button></form></header>")
            .Append("<main id=\"content\"");
        if (stateUrl is not null)
        {
            sb.Append(" data-state-url=\"").Append(Html.Encode(stateUrl)).Append("\" data-etag=\"").Append(etag)
                .Append("\" data-refresh-ms=\"").Append(refreshMs).Append("\" data-login-url=\"").Append(LoginPath).Append('"');
        }

        sb.Append('>').Append(content).Append("</main>")
            .Append("<script src=\"").Append(UiPaths.Root).Append("/assets/app.js\"></script></body></html>");
        return sb.ToString();
    }

    private static IResult HtmlResult(string html, int status = StatusCodes.Status200OK) =>
        Results.Text(html, "text/html; charset=utf-8", Encoding.UTF8, status);

    private static string ETag(string html) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(html)))[..16];

    /// <summary>Only redirects to UI pages, never to another site (<c>//host</c>) or elsewhere on KAS.</summary>
    internal static string SafeReturnTo(string? value) =>
        !string.IsNullOrEmpty(value) && value.StartsWith(UiPaths.Root + "/", StringComparison.Ordinal) && !value.Contains("//", StringComparison.Ordinal)
            && !value.Contains('\\', StringComparison.Ordinal) && !value.StartsWith(LoginPath, StringComparison.Ordinal)
            ? value
            : UiPaths.Root + "/";

    /// <summary>Rejects cross-site form posts (login CSRF): the browser's <c>Origin</c>, when sent, must be this host.</summary>
    private static bool IsSameOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (string.IsNullOrEmpty(origin) || origin == "null")
        {
            return request.Headers["Sec-Fetch-Site"].ToString() is "" or "same-origin" or "none";
        }

        return Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }
}
