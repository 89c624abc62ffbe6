using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.Management.Services;
using GraphQL;
using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Management.Graphql;

/// <summary>Per-request GraphQL user context: the authenticated user.</summary>
internal sealed class GraphqlRequestContext(AuthenticatedUser user) : Dictionary<string, object?>
{
    public AuthenticatedUser User { get; } = user;
}

/// <summary>Helpers for resolvers.</summary>
internal static class ResolveContextExtensions
{
    public static AuthenticatedUser CurrentUser(this IResolveFieldContext context) =>
        ((GraphqlRequestContext)context.UserContext).User;

    public static AgentManagementService Management(this IResolveFieldContext context) =>
        context.RequestServices!.GetRequiredService<AgentManagementService>();

    /// <summary>Runs <paramref name="action"/>, turning an access denial into a GraphQL error (GitLab's message and a FORBIDDEN code).</summary>
    public static async Task<T> GuardAsync<T>(this IResolveFieldContext context, Func<Task<T>> action)
    {
        _ = context;
        try
        {
            return await action();
        }
        catch (ManagementAccessDeniedException ex)
        {
            throw new ExecutionError(ex.Message) { Code = "FORBIDDEN" };
        }
    }
}
