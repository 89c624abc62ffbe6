using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Management.Services;
using GraphQL;
using GraphQL.Types;

namespace Gitlab.Agent.Management.Graphql;

/// <summary>
/// Root mutation: GitLab's agent mutations. Bad input (unknown project, invalid or duplicate name, token limit, malformed
/// global id) is returned in the payload's <c>errors</c>; objects the caller may not change produce a GraphQL error.
/// </summary>
internal sealed class MutationGraphType : ObjectGraphType
{
    public MutationGraphType()
    {
        Name = "Mutation";

        Field<CreateClusterAgentPayloadGraphType>("createClusterAgent")
            .Argument<NonNullGraphType<CreateClusterAgentInputGraphType>>("input")
            .ResolveAsync(c => c.GuardAsync<object?>(async () =>
            {
                var input = c.GetArgument<CreateClusterAgentInput>("input");
                var result = await c.Management().CreateAgentAsync(c.CurrentUser(), input.ProjectPath, input.Name, c.CancellationToken);
                return new MutationPayload<AgentInfo>(result.Value, result.Errors, input.ClientMutationId);
            }));

        Field<ClusterAgentDeletePayloadGraphType>("clusterAgentDelete")
            .Argument<NonNullGraphType<ClusterAgentDeleteInputGraphType>>("input")
            .ResolveAsync(c => c.GuardAsync<object?>(async () =>
            {
                var input = c.GetArgument<IdInput>("input");
                if (!GlobalId.TryParse(input.Id, GlobalId.AgentType, out var id, out var error))
                {
                    return new MutationPayload<bool>(false, [error!], input.ClientMutationId);
                }

                var result = await c.Management().DeleteAgentAsync(c.CurrentUser(), id, c.CancellationToken);
                return new MutationPayload<bool>(result.Value, result.Errors, input.ClientMutationId);
            }));

        Field<ClusterAgentTokenCreatePayloadGraphType>("clusterAgentTokenCreate")
            .Argument<NonNullGraphType<ClusterAgentTokenCreateInputGraphType>>("input")
            .ResolveAsync(c => c.GuardAsync<object?>(async () =>
            {
                var input = c.GetArgument<ClusterAgentTokenCreateInput>("input");
                if (!GlobalId.TryParse(input.ClusterAgentId, GlobalId.AgentType, out var agentId, out var error))
                {
                    return new MutationPayload<NewAgentToken>(null, [error!], input.ClientMutationId);
                }

                var result = await c.Management().CreateTokenAsync(c.CurrentUser(), agentId, input.Name, input.Description, c.CancellationToken);
                return new MutationPayload<NewAgentToken>(result.Value, result.Errors, input.ClientMutationId);
            }));

        Field<ClusterAgentTokenRevokePayloadGraphType>("clusterAgentTokenRevoke")
            .Argument<NonNullGraphType<ClusterAgentTokenRevokeInputGraphType>>("input")
            .ResolveAsync(c => c.GuardAsync<object?>(() => TokenMutationAsync(c, revoke: true)));

        Field<ClusterAgentTokenDeletePayloadGraphType>("clusterAgentTokenDelete")
            .Argument<NonNullGraphType<ClusterAgentTokenDeleteInputGraphType>>("input")
            .ResolveAsync(c => c.GuardAsync<object?>(() => TokenMutationAsync(c, revoke: false)));
    }

    private static async Task<object?> TokenMutationAsync(IResolveFieldContext c, bool revoke)
    {
        var input = c.GetArgument<IdInput>("input");
        if (!GlobalId.TryParse(input.Id, GlobalId.AgentTokenType, out var id, out var error))
        {
            return new MutationPayload<bool>(false, [error!], input.ClientMutationId);
        }

        var management = c.Management();
        var result = revoke
            ? await management.RevokeTokenAsync(c.CurrentUser(), id, c.CancellationToken)
            : await management.DeleteTokenAsync(c.CurrentUser(), id, c.CancellationToken);
        return new MutationPayload<bool>(result.Value, result.Errors, input.ClientMutationId);
    }
}

/// <summary>What mutation resolvers return; the payload types read from it.</summary>
internal sealed record MutationPayload<T>(T? Value, IReadOnlyList<string> Errors, string? ClientMutationId);

internal sealed class CreateClusterAgentInput
{
    public string? ProjectPath { get; set; }

    public string? Name { get; set; }

    public string? ClientMutationId { get; set; }
}

internal sealed class ClusterAgentTokenCreateInput
{
    public string? ClusterAgentId { get; set; }

    public string? Name { get; set; }

    public string? Description { get; set; }

    public string? ClientMutationId { get; set; }
}

internal sealed class IdInput
{
    public string? Id { get; set; }

    public string? ClientMutationId { get; set; }
}

internal sealed class CreateClusterAgentInputGraphType : InputObjectGraphType<CreateClusterAgentInput>
{
    public CreateClusterAgentInputGraphType()
    {
        Name = "CreateClusterAgentInput";
        Field<NonNullGraphType<IdGraphType>>("projectPath").Description("Full path of the associated project for the cluster agent.");
        Field<NonNullGraphType<StringGraphType>>("name").Description("Name of the cluster agent.");
        Field<StringGraphType>("clientMutationId");
    }
}

internal sealed class ClusterAgentTokenCreateInputGraphType : InputObjectGraphType<ClusterAgentTokenCreateInput>
{
    public ClusterAgentTokenCreateInputGraphType()
    {
        Name = "ClusterAgentTokenCreateInput";
        Field<NonNullGraphType<ClustersAgentIdGraphType>>("clusterAgentId").Description("Global ID of the cluster agent that will be associated with the new token.");
        Field<NonNullGraphType<StringGraphType>>("name").Description("Name of the token.");
        Field<StringGraphType>("description").Description("Description of the token.");
        Field<StringGraphType>("clientMutationId");
    }
}

internal abstract class IdInputGraphType<TIdGraphType> : InputObjectGraphType<IdInput>
    where TIdGraphType : IGraphType
{
    protected IdInputGraphType(string name)
    {
        Name = name;
        Field<NonNullGraphType<TIdGraphType>>("id").Description("Global ID of the object.");
        Field<StringGraphType>("clientMutationId");
    }
}

internal sealed class ClusterAgentDeleteInputGraphType() : IdInputGraphType<ClustersAgentIdGraphType>("ClusterAgentDeleteInput");

internal sealed class ClusterAgentTokenRevokeInputGraphType() : IdInputGraphType<ClustersAgentTokenIdGraphType>("ClusterAgentTokenRevokeInput");

internal sealed class ClusterAgentTokenDeleteInputGraphType() : IdInputGraphType<ClustersAgentTokenIdGraphType>("ClusterAgentTokenDeleteInput");

internal abstract class PayloadGraphType<T> : ObjectGraphType<MutationPayload<T>>
{
    protected PayloadGraphType(string name)
    {
        Name = name;
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("errors")
            .Description("Errors encountered during execution of the mutation.")
            .Resolve(c => c.Source.Errors);
        Field<StringGraphType>("clientMutationId").Resolve(c => c.Source.ClientMutationId);
    }
}

internal sealed class CreateClusterAgentPayloadGraphType : PayloadGraphType<AgentInfo>
{
    public CreateClusterAgentPayloadGraphType()
        : base("CreateClusterAgentPayload")
    {
        Field<ClusterAgentGraphType>("clusterAgent").Description("Cluster agent created after mutation.").Resolve(c => c.Source.Value);
    }
}

internal sealed class ClusterAgentDeletePayloadGraphType() : PayloadGraphType<bool>("ClusterAgentDeletePayload");

internal sealed class ClusterAgentTokenRevokePayloadGraphType() : PayloadGraphType<bool>("ClusterAgentTokenRevokePayload");

internal sealed class ClusterAgentTokenDeletePayloadGraphType() : PayloadGraphType<bool>("ClusterAgentTokenDeletePayload");

internal sealed class ClusterAgentTokenCreatePayloadGraphType : PayloadGraphType<NewAgentToken>
{
    public ClusterAgentTokenCreatePayloadGraphType()
        : base("ClusterAgentTokenCreatePayload")
    {
        Field<StringGraphType>("secret")
            .Description("Token secret value. Make sure you save it - you won't be able to access it again.")
            .Resolve(c => c.Source.Value?.Secret);
        Field<ClusterAgentTokenGraphType>("token").Description("Token created after mutation.").Resolve(c => c.Source.Value?.Token);
    }
}
