using GraphQL.Types;

namespace Gitlab.Agent.Management.Graphql;

/// <summary>The GraphQL schema served at <c>/api/graphql</c>.</summary>
internal sealed class ManagementSchema : Schema
{
    public ManagementSchema()
    {
        Query = new QueryGraphType();
        Mutation = new MutationGraphType();
    }
}
