using Gitlab.Agent.Management.Services;
using GraphQL;
using GraphQL.Transport;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Management.Graphql;

/// <summary>
/// <c>POST /api/graphql</c>: GraphQL over HTTP with a JSON body <c>{"query", "variables", "operationName"}</c>.
/// 401 without a valid personal access token, 403 without the <c>api</c>/<c>read_api</c> scope, 400 for a malformed
/// request or document, otherwise 200 with <c>data</c> and/or <c>errors</c>.
/// </summary>
internal sealed class GraphqlEndpoint(
    ManagementSchema schema,
    IDocumentExecuter executer,
    IGraphQLTextSerializer serializer,
    ManagementAuthenticator authenticator,
    IOptions<ManagementOptions> options,
    ILogger<GraphqlEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var auth = await authenticator.AuthenticateApiAsync(context.Request, cancellationToken);
        if (auth.User is not { } user)
        {
            var path = context.Request.Path.Value ?? string.Empty;
            ManagementLog.AuthenticationFailed(logger, path, auth.Failure!);

            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"gitlab-agent\"";
            await WriteErrorAsync(context, StatusCodes.Status401Unauthorized, auth.Failure!, "UNAUTHENTICATED");
            return;
        }

        if (!AgentManagementService.CanRead(user))
        {
            await WriteErrorAsync(context, StatusCodes.Status403Forbidden,
                "insufficient_scope: the personal access token needs the 'api' or 'read_api' scope", "FORBIDDEN");
            return;
        }

        if (context.Request.ContentLength > options.Value.MaxGraphqlRequestBytes)
        {
            await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"request body is larger than {options.Value.MaxGraphqlRequestBytes} bytes", "BAD_REQUEST");
            return;
        }

        GraphQLRequest? request;
        try
        {
            request = await serializer.ReadAsync<GraphQLRequest>(context.Request.Body, cancellationToken);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or InvalidOperationException or NotSupportedException)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "request body must be JSON {\"query\": \"…\", \"variables\": {…}}: " + ex.Message, "BAD_REQUEST");
            return;
        }

        if (request is null || string.IsNullOrWhiteSpace(request.Query))
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "request body must contain a 'query'", "BAD_REQUEST");
            return;
        }

        var result = await executer.ExecuteAsync(new ExecutionOptions
        {
            Schema = schema,
            Query = request.Query,
            Variables = request.Variables,
            OperationName = request.OperationName,
            UserContext = new GraphqlRequestContext(user),
            RequestServices = context.RequestServices,
            CancellationToken = cancellationToken,
            ThrowOnUnhandledException = false,
            UnhandledExceptionDelegate = ctx =>
            {
                ManagementLog.GraphqlResolverFailed(logger, ctx.OriginalException, ctx.FieldContext?.FieldDefinition.Name ?? "(document)");
                return Task.CompletedTask;
            },
        });

        context.Response.StatusCode = result.Executed ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest;
        context.Response.ContentType = "application/json; charset=utf-8";
        await serializer.WriteAsync(context.Response.Body, result, cancellationToken);
    }

    private async Task WriteErrorAsync(HttpContext context, int status, string message, string code)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        var result = new ExecutionResult { Executed = false, Errors = [new ExecutionError(message) { Code = code }] };
        await serializer.WriteAsync(context.Response.Body, result, context.RequestAborted);
    }
}
