using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Management;
using Gitlab.Agent.Management.Graphql;
using Gitlab.Agent.Management.Services;
using GraphQL;
using GraphQL.SystemTextJson;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds management (GraphQL, REST, UI) to KAS.</summary>
public static class ManagementKasBuilderExtensions
{
    /// <summary>
    /// Serves, on the KAS API listener, <c>POST /api/graphql</c> (GitLab's agent queries and mutations), the REST mirror
    /// <c>/api/v4/projects/:id/cluster_agents</c> and the web UI under <c>/-/ui/</c>. Every call is authenticated with a
    /// personal access token of <see cref="Gitlab.Agent.Kas.Users.IUserStore"/> (registered by this call when missing).
    /// Calling it twice only applies <paramref name="configure"/> again.
    /// </summary>
    public static IKasBuilder AddManagement(this IKasBuilder builder, Action<ManagementOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<ManagementOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ManagementOptions>, ManagementOptionsValidator>());
        builder.AddUserStore();
        services.TryAddSingleton<ManagementAuthenticator>();
        services.TryAddSingleton<AgentManagementService>();
        services.TryAddSingleton<ManagementSchema>();
        services.TryAddSingleton<IDocumentExecuter, DocumentExecuter>();
        services.TryAddSingleton<IGraphQLTextSerializer, GraphQLSerializer>();
        services.TryAddSingleton<GraphqlEndpoint>();
        services.TryAddSingleton<UiViews>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IKasModule, ManagementKasModule>());
        return builder;
    }
}
