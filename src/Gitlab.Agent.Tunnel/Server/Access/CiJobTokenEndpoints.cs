using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.Kas.Users;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gitlab.Agent.Tunnel.Server.Access;

/// <summary>
/// Lets a CI system obtain and drop the job tokens of our KAS (GitLab mints <c>CI_JOB_TOKEN</c> itself; a standalone
/// KAS needs this door), on the API listener:
/// <list type="bullet">
/// <item><c>POST /api/v4/job/tokens</c> with a personal access token (<c>Authorization: Bearer</c> or
/// <c>PRIVATE-TOKEN</c>, scope <c>api</c>) of a user who is at least Developer of the job's project; JSON body
/// <c>{"project":"group/app","job_id":42,"pipeline_id":7,"environment":{"name":"production","tier":"production"},
/// "group_ids":{"group":12},"expires_in":3600}</c>; answers 201 <c>{"token":"glcbt-…","expires_at":"…"}</c>. The job
/// runs as that user; its groups are the ancestors of the project path.</item>
/// <item><c>DELETE /api/v4/job/tokens</c> with the <c>Job-Token</c> header: revokes it (204, or 404 when unknown).</item>
/// </list>
/// Errors are <c>{"message":"…"}</c> naming the field or the missing right.
/// </summary>
internal sealed partial class CiJobTokenEndpoints(ICiJobTokenService jobTokens, IUserStore users, IProjectInfoProvider projects)
{
    /// <summary>Longest lifetime a caller may ask for.</summary>
    internal static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(1);

    private static readonly HashSet<string> Tiers = new(StringComparer.Ordinal) { "production", "staging", "testing", "development", "other" };

    public void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/v4/job/tokens", (Delegate)IssueAsync).WithDisplayName("Issue CI job token");
        endpoints.MapDelete("/api/v4/job/tokens", (Delegate)RevokeAsync).WithDisplayName("Revoke CI job token");
    }

    private async Task<IResult> IssueAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var secret = PersonalAccessTokenHeaders.Read(context.Request);
        if (secret is null)
        {
            return Error(StatusCodes.Status401Unauthorized, "authentication required: send 'Authorization: Bearer <personal access token>' or 'PRIVATE-TOKEN'");
        }

        if (await users.AuthenticateAsync(secret, cancellationToken).ConfigureAwait(false) is not { } caller)
        {
            return Error(StatusCodes.Status401Unauthorized, "the personal access token is unknown, expired or revoked");
        }

        if (!caller.HasScope(PersonalAccessTokenScopes.Api))
        {
            return Error(StatusCodes.Status403Forbidden, $"the personal access token lacks the '{PersonalAccessTokenScopes.Api}' scope");
        }

        JsonElement body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            return Error(StatusCodes.Status400BadRequest, $"request body: not JSON: {e.Message}");
        }

        if (Parse(body, out var request) is { } invalid)
        {
            return Error(StatusCodes.Status400BadRequest, invalid);
        }

        if (await projects.GetProjectAsync(request.Project, cancellationToken).ConfigureAwait(false) is not { } project)
        {
            return Error(StatusCodes.Status404NotFound, $"project: '{request.Project}' is not known to KAS");
        }

        var level = await users.GetAccessLevelAsync(caller.User.Id, project.Path, cancellationToken).ConfigureAwait(false);
        if (level < AccessLevel.Developer)
        {
            return Error(StatusCodes.Status403Forbidden, $"user '{caller.User.Username}' must be at least Developer of '{project.Path}' to run its jobs (is {level})");
        }

        var job = new CiJob(request.JobId, request.PipelineId, new ProjectRef(project.Id, project.Path),
            AncestorGroups(project.Path, request.GroupIds), request.Environment, caller.User.Id, caller.User.Username);
        var issued = await jobTokens.IssueAsync(job, request.Lifetime, cancellationToken).ConfigureAwait(false);
        return Results.Json(new Dictionary<string, object>
        {
            ["token"] = issued.Token,
            ["expires_at"] = issued.ExpiresAt.ToString("O", CultureInfo.InvariantCulture),
        }, statusCode: StatusCodes.Status201Created);
    }

    private async Task<IResult> RevokeAsync(HttpContext context)
    {
        var token = context.Request.Headers["Job-Token"].ToString();
        if (token.Length == 0)
        {
            return Error(StatusCodes.Status401Unauthorized, "send the token to revoke in the 'Job-Token' header");
        }

        return await jobTokens.RevokeAsync(token, context.RequestAborted).ConfigureAwait(false)
            ? Results.NoContent()
            : Error(StatusCodes.Status404NotFound, "the job token is unknown or already revoked");
    }

    /// <summary>Validates the body; returns the first problem (naming its field) or <see langword="null"/>.</summary>
    internal static string? Parse(JsonElement body, out JobTokenRequest request)
    {
        request = default!;
        if (body.ValueKind != JsonValueKind.Object)
        {
            return "request body: expected a JSON object";
        }

        if (!body.TryGetProperty("project", out var projectElement) || projectElement.ValueKind != JsonValueKind.String || projectElement.GetString()!.Trim('/').Length == 0)
        {
            return "project: required, the job's project path (group/app)";
        }

        if (!TryLong(body, "job_id", required: true, out var jobId) || jobId <= 0)
        {
            return "job_id: required, a positive integer";
        }

        if (!TryLong(body, "pipeline_id", required: false, out var pipelineId) || pipelineId < 0)
        {
            return "pipeline_id: a non-negative integer";
        }

        var lifetime = TimeSpan.FromHours(1);
        if (body.TryGetProperty("expires_in", out _))
        {
            if (!TryLong(body, "expires_in", required: true, out var seconds) || seconds < 60 || seconds > MaxLifetime.TotalSeconds)
            {
                return $"expires_in: seconds between 60 and {MaxLifetime.TotalSeconds:0}";
            }

            lifetime = TimeSpan.FromSeconds(seconds);
        }

        CiJobEnvironment? environment = null;
        if (body.TryGetProperty("environment", out var env) && env.ValueKind != JsonValueKind.Null)
        {
            if (env.ValueKind != JsonValueKind.Object || !env.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString()!.Length == 0)
            {
                return "environment.name: required when environment is given";
            }

            var tier = env.TryGetProperty("tier", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : GuessTier(name.GetString()!);
            if (!Tiers.Contains(tier))
            {
                return $"environment.tier: '{tier}' is not one of production, staging, testing, development, other";
            }

            var slug = env.TryGetProperty("slug", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : Slug(name.GetString()!);
            environment = new CiJobEnvironment(name.GetString()!, slug, tier);
        }

        var groupIds = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        if (body.TryGetProperty("group_ids", out var ids) && ids.ValueKind != JsonValueKind.Null)
        {
            if (ids.ValueKind != JsonValueKind.Object)
            {
                return "group_ids: expected an object of group path → numeric id";
            }

            foreach (var property in ids.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt64(out var id) || id <= 0)
                {
                    return $"group_ids.{property.Name}: a positive integer";
                }

                groupIds[property.Name.Trim('/')] = id;
            }
        }

        request = new JobTokenRequest(projectElement.GetString()!.Trim('/'), jobId, pipelineId, environment, groupIds, lifetime);
        return null;
    }

    /// <summary>The groups above a project, top-level first, with the ids the caller gave (none otherwise).</summary>
    internal static IReadOnlyList<GroupRef> AncestorGroups(string projectPath, IReadOnlyDictionary<string, long> ids)
    {
        var parts = projectPath.Split('/');
        var groups = new List<GroupRef>(parts.Length - 1);
        for (var i = 1; i < parts.Length; i++)
        {
            var path = string.Join('/', parts[..i]);
            groups.Add(new GroupRef(ids.TryGetValue(path, out var id) ? id : null, path));
        }

        return groups;
    }

    /// <summary>GitLab's tier guess from an environment name.</summary>
    internal static string GuessTier(string name) => name switch
    {
        _ when DevelopmentName().IsMatch(name) => "development",
        _ when TestingName().IsMatch(name) => "testing",
        _ when StagingName().IsMatch(name) => "staging",
        _ when ProductionName().IsMatch(name) => "production",
        _ => "other",
    };

    /// <summary>An environment slug: lower-case alphanumerics and dashes, at most 24 characters.</summary>
    internal static string Slug(string name)
    {
        var slug = NonSlug().Replace(name.ToLowerInvariant(), "-").Trim('-');
        slug = slug.Length > 24 ? slug[..24].TrimEnd('-') : slug;
        return slug.Length == 0 ? "env" : slug;
    }

    private static bool TryLong(JsonElement body, string name, bool required, out long value)
    {
        value = 0;
        if (!body.TryGetProperty(name, out var element))
        {
            return !required;
        }

        return element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out value);
    }

    private static IResult Error(int status, string message) =>
        Results.Json(new Dictionary<string, string> { ["message"] = message }, statusCode: status);

    [GeneratedRegex("(pr(o|)d|live)", RegexOptions.IgnoreCase)]
    private static partial Regex ProductionName();

    [GeneratedRegex("(st(a|)g|mod(e|)l|pre|demo|non)", RegexOptions.IgnoreCase)]
    private static partial Regex StagingName();

    [GeneratedRegex("(test|tst|int|ac(ce|)pt|qa|qc|control|quality)", RegexOptions.IgnoreCase)]
    private static partial Regex TestingName();

    [GeneratedRegex("(dev|review|trunk)", RegexOptions.IgnoreCase)]
    private static partial Regex DevelopmentName();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonSlug();
}

/// <summary>A validated <c>POST /api/v4/job/tokens</c> body.</summary>
internal sealed record JobTokenRequest(string Project, long JobId, long PipelineId, CiJobEnvironment? Environment, IReadOnlyDictionary<string, long> GroupIds, TimeSpan Lifetime);
