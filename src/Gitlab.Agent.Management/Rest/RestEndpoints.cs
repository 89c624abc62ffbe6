using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.Management.Graphql;
using Gitlab.Agent.Management.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Management.Rest;

/// <summary>
/// GitLab's REST API for agents: <c>/api/v4/projects/:id/cluster_agents[/:agent_id[/tokens[/:token_id]]]</c>.
/// <c>:id</c> is the numeric project id or the URL-encoded path (<c>group%2Fproject</c>). Errors are
/// <c>{"message": "…"}</c> with 400, 401, 403 or 404, as GitLab answers.
/// </summary>
internal static class RestEndpoints
{
    private const string Base = "/api/v4/projects/{id}/cluster_agents";

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Base, (HttpContext c, string id) => RunAsync(c, async (m, user, ct) =>
        {
            var project = await ProjectAsync(m, user, id, ct);
            var agents = await m.Registry.ListAgentsAsync(project.Path, ct);
            return Results.Json(new JsonArray(agents.Select(a => (JsonNode)AgentJson(a, project)).ToArray()));
        }));

        endpoints.MapPost(Base, (HttpContext c, string id) => RunAsync(c, async (m, user, ct) =>
        {
            var project = await ProjectAsync(m, user, id, ct);
            var body = await ReadBodyAsync(c);
            var result = await m.CreateAgentAsync(user, project.Path, StringField(body, "name"), ct);
            return result.Succeeded
                ? Results.Json(AgentJson(result.Value!, project), statusCode: StatusCodes.Status201Created)
                : BadRequest(result.Errors);
        }));

        endpoints.MapGet(Base + "/{agentId:long}", (HttpContext c, string id, long agentId) => RunAsync(c, async (m, user, ct) =>
        {
            var (project, agent) = await AgentAsync(m, user, id, agentId, AgentManagementService.ReadLevel, ct);
            return Results.Json(AgentJson(agent, project));
        }));

        endpoints.MapDelete(Base + "/{agentId:long}", (HttpContext c, string id, long agentId) => RunAsync(c, async (m, user, ct) =>
        {
            await AgentAsync(m, user, id, agentId, AgentManagementService.WriteLevel, ct);
            var result = await m.DeleteAgentAsync(user, agentId, ct);
            return result.Succeeded ? Results.NoContent() : BadRequest(result.Errors);
        }));

        endpoints.MapGet(Base + "/{agentId:long}/tokens", (HttpContext c, string id, long agentId) => RunAsync(c, async (m, user, ct) =>
        {
            await AgentAsync(m, user, id, agentId, AgentManagementService.ReadLevel, ct);
            var tokens = await m.Registry.ListTokensAsync(agentId, ct);
            return Results.Json(new JsonArray(tokens.Where(t => t.IsActive).Select(t => (JsonNode)TokenJson(t)).ToArray()));
        }));

        endpoints.MapPost(Base + "/{agentId:long}/tokens", (HttpContext c, string id, long agentId) => RunAsync(c, async (m, user, ct) =>
        {
            await AgentAsync(m, user, id, agentId, AgentManagementService.WriteLevel, ct);
            var body = await ReadBodyAsync(c);
            var result = await m.CreateTokenAsync(user, agentId, StringField(body, "name"), StringField(body, "description"), ct);
            if (!result.Succeeded)
            {
                return BadRequest(result.Errors);
            }

            var json = TokenJson(result.Value!.Token);
            json["token"] = result.Value.Secret;
            return Results.Json(json, statusCode: StatusCodes.Status201Created);
        }));

        endpoints.MapGet(Base + "/{agentId:long}/tokens/{tokenId:long}", (HttpContext c, string id, long agentId, long tokenId) => RunAsync(c, async (m, user, ct) =>
        {
            var token = await TokenAsync(m, user, id, agentId, tokenId, AgentManagementService.ReadLevel, ct);
            return Results.Json(TokenJson(token));
        }));

        endpoints.MapDelete(Base + "/{agentId:long}/tokens/{tokenId:long}", (HttpContext c, string id, long agentId, long tokenId) => RunAsync(c, async (m, user, ct) =>
        {
            await TokenAsync(m, user, id, agentId, tokenId, AgentManagementService.WriteLevel, ct);
            var result = await m.RevokeTokenAsync(user, tokenId, ct);
            return result.Succeeded ? Results.NoContent() : BadRequest(result.Errors);
        }));
    }

    private static async Task<IResult> RunAsync(HttpContext context, Func<AgentManagementService, AuthenticatedUser, CancellationToken, Task<IResult>> action)
    {
        var authenticator = context.RequestServices.GetRequiredService<ManagementAuthenticator>();
        var auth = await authenticator.AuthenticateApiAsync(context.Request, context.RequestAborted);
        if (auth.User is not { } user)
        {
            return Results.Json(new JsonObject { ["message"] = "401 Unauthorized" }, statusCode: StatusCodes.Status401Unauthorized);
        }

        if (!AgentManagementService.CanRead(user))
        {
            return Results.Json(new JsonObject { ["error"] = "insufficient_scope", ["message"] = "the personal access token needs the 'api' or 'read_api' scope" },
                statusCode: StatusCodes.Status403Forbidden);
        }

        try
        {
            return await action(context.RequestServices.GetRequiredService<AgentManagementService>(), user, context.RequestAborted);
        }
        catch (ManagementAccessDeniedException ex) when (ex.Message.StartsWith("insufficient_scope", StringComparison.Ordinal))
        {
            return Results.Json(new JsonObject { ["error"] = "insufficient_scope", ["message"] = ex.Message }, statusCode: StatusCodes.Status403Forbidden);
        }
        catch (ManagementAccessDeniedException)
        {
            return Results.Json(new JsonObject { ["message"] = "404 Not found" }, statusCode: StatusCodes.Status404NotFound);
        }
        catch (BadHttpRequestException ex)
        {
            return BadRequest([ex.Message]);
        }
    }

    private static async Task<ProjectInfo> ProjectAsync(AgentManagementService m, AuthenticatedUser user, string id, CancellationToken ct)
    {
        var decoded = Uri.UnescapeDataString(id);
        string? path = decoded;
        if (long.TryParse(decoded, NumberStyles.None, CultureInfo.InvariantCulture, out var numeric))
        {
            path = (await m.Registry.ListProjectsAsync(ct)).FirstOrDefault(p => p.Id == numeric)?.Path;
        }

        return path is not null && await m.GetProjectAsync(user, path, ct) is { } project ? project : throw new ManagementAccessDeniedException();
    }

    private static async Task<(ProjectInfo Project, AgentInfo Agent)> AgentAsync(
        AgentManagementService m, AuthenticatedUser user, string id, long agentId, AccessLevel level, CancellationToken ct)
    {
        var project = await ProjectAsync(m, user, id, ct);
        var agent = await m.GetAgentAsync(user, agentId, level, ct);
        return agent.ProjectId == project.Id ? (project, agent) : throw new ManagementAccessDeniedException();
    }

    private static async Task<AgentTokenInfo> TokenAsync(
        AgentManagementService m, AuthenticatedUser user, string id, long agentId, long tokenId, AccessLevel level, CancellationToken ct)
    {
        await AgentAsync(m, user, id, agentId, level, ct);
        return (await m.Registry.ListTokensAsync(agentId, ct)).FirstOrDefault(t => t.Id == tokenId) ?? throw new ManagementAccessDeniedException();
    }

    private static async Task<JsonObject?> ReadBodyAsync(HttpContext context)
    {
        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var result = new JsonObject();
            foreach (var (key, value) in form)
            {
                result[key] = value.ToString();
            }

            return result;
        }

        try
        {
            return await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject;
        }
        catch (JsonException ex)
        {
            throw new BadHttpRequestException("request body must be a JSON object: " + ex.Message);
        }
    }

    private static string? StringField(JsonObject? body, string name) => body?[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new BadHttpRequestException($"'{name}' must be a string"),
    };

    private static IResult BadRequest(IReadOnlyList<string> errors) =>
        Results.Json(new JsonObject { ["message"] = string.Join("; ", errors) }, statusCode: StatusCodes.Status400BadRequest);

    private static JsonObject AgentJson(AgentInfo agent, ProjectInfo project) => new()
    {
        ["id"] = agent.Id,
        ["name"] = agent.Name,
        ["config_project"] = new JsonObject
        {
            ["id"] = project.Id,
            ["name"] = project.Path[(project.Path.LastIndexOf('/') + 1)..],
            ["path"] = project.Path[(project.Path.LastIndexOf('/') + 1)..],
            ["path_with_namespace"] = project.Path,
        },
        ["created_at"] = TimeGraphType.Format(agent.CreatedAt),
    };

    private static JsonObject TokenJson(AgentTokenInfo token) => new()
    {
        ["id"] = token.Id,
        ["name"] = token.Name,
        ["description"] = token.Description,
        ["agent_id"] = token.AgentId,
        ["status"] = token.IsActive ? "active" : "revoked",
        ["created_at"] = TimeGraphType.Format(token.CreatedAt),
        ["last_used_at"] = token.LastUsedAt is { } used ? TimeGraphType.Format(used) : null,
    };
}
