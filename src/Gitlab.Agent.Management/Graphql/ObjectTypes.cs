using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.Management.Services;
using GraphQL;
using GraphQL.Types;

namespace Gitlab.Agent.Management.Graphql;

/// <summary><c>Project</c>: the fields of GitLab's type that concern agents.</summary>
internal sealed class ProjectGraphType : ObjectGraphType<ProjectInfo>
{
    public ProjectGraphType()
    {
        Name = "Project";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => GlobalId.Project(c.Source.Id));
        Field<NonNullGraphType<IdGraphType>>("fullPath").Resolve(c => c.Source.Path);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Path[(c.Source.Path.LastIndexOf('/') + 1)..]);
        Field<NonNullGraphType<StringGraphType>>("visibility").Resolve(c => c.Source.IsPublic ? "public" : "private");
        Field<ClusterAgentConnectionGraphType>("clusterAgents")
            .Description("Agents registered in the project.")
            .ResolveAsync(async c => (object?)await c.Management().Registry.ListAgentsAsync(c.Source.Path, c.CancellationToken));
        Field<ClusterAgentGraphType>("clusterAgent")
            .Description("Find a single agent by name.")
            .Argument<NonNullGraphType<StringGraphType>>("name")
            .ResolveAsync(async c => await c.Management().Registry.FindAgentAsync(c.Source.Path, c.GetArgument<string>("name"), c.CancellationToken));
    }
}

/// <summary><c>ClusterAgent</c>.</summary>
internal sealed class ClusterAgentGraphType : ObjectGraphType<AgentInfo>
{
    public ClusterAgentGraphType()
    {
        Name = "ClusterAgent";
        Field<NonNullGraphType<ClustersAgentIdGraphType>>("id").Resolve(c => GlobalId.Agent(c.Source.Id));
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
        Field<TimeGraphType>("createdAt").Resolve(c => c.Source.CreatedAt);
        Field<TimeGraphType>("updatedAt").Resolve(c => c.Source.LastConfigurationAt ?? c.Source.CreatedAt);
        Field<StringGraphType>("webPath").Resolve(c => UiPaths.Agent(c.Source.Id));
        Field<NonNullGraphType<StringGraphType>>("configPath")
            .Description("Path of the agent's configuration file in its project (not in GitLab's schema).")
            .Resolve(c => $".gitlab/agents/{c.Source.Name}/config.yaml");
        Field<ProjectGraphType>("project")
            .ResolveAsync(async c => (await c.Management().Registry.ListProjectsAsync(c.CancellationToken)).FirstOrDefault(p => p.Id == c.Source.ProjectId));
        Field<ClusterAgentTokenConnectionGraphType>("tokens")
            .Description("Tokens of the agent (active and revoked).")
            .ResolveAsync(async c => (object?)await c.Management().Registry.ListTokensAsync(c.Source.Id, c.CancellationToken));
        Field<ConnectedAgentConnectionGraphType>("connections")
            .Description("Live connections of the agent.")
            .ResolveAsync(async c => (object?)await c.Management().Registry.ListConnectionsAsync(c.Source.Id, true, c.CancellationToken));
        Field<ClusterAgentActivityEventConnectionGraphType>("activityEvents")
            .Description("Recent activity, newest first.")
            .ResolveAsync(async c => (object?)await c.Management().Registry.ListActivityAsync(c.Source.Id, 200, c.CancellationToken));
        Field<NonNullGraphType<AgentConnectionStatusGraphType>>("connectionStatus")
            .Description("Connected / not connected / never connected (not in GitLab's schema).")
            .ResolveAsync(async c => (await c.Management().GetOverviewAsync(c.Source, c.CancellationToken)).Status);
        Field<TimeGraphType>("lastContact")
            .Description("Last time KAS heard from the agent (not in GitLab's schema).")
            .ResolveAsync(async c => (await c.Management().GetOverviewAsync(c.Source, c.CancellationToken)).LastContact);
    }
}

/// <summary><c>ClusterAgentToken</c>.</summary>
internal sealed class ClusterAgentTokenGraphType : ObjectGraphType<AgentTokenInfo>
{
    public ClusterAgentTokenGraphType()
    {
        Name = "ClusterAgentToken";
        Field<NonNullGraphType<ClustersAgentTokenIdGraphType>>("id").Resolve(c => GlobalId.AgentToken(c.Source.Id));
        Field<StringGraphType>("name").Resolve(c => c.Source.Name);
        Field<StringGraphType>("description").Resolve(c => c.Source.Description);
        Field<TimeGraphType>("createdAt").Resolve(c => c.Source.CreatedAt);
        Field<TimeGraphType>("lastUsedAt").Resolve(c => c.Source.LastUsedAt);
        Field<TimeGraphType>("revokedAt").Description("When the token was revoked (not in GitLab's schema).").Resolve(c => c.Source.RevokedAt);
        Field<AgentTokenStatusGraphType>("status").Resolve(c => c.Source.IsActive ? "ACTIVE" : "REVOKED");
        Field<ClusterAgentGraphType>("clusterAgent")
            .ResolveAsync(async c => await c.Management().Registry.GetAgentAsync(c.Source.AgentId, c.CancellationToken));
    }
}

/// <summary><c>ConnectedAgent</c>: one live agentk connection.</summary>
internal sealed class ConnectedAgentGraphType : ObjectGraphType<AgentConnectionInfo>
{
    public ConnectedAgentGraphType()
    {
        Name = "ConnectedAgent";
        Field<TimeGraphType>("connectedAt").Resolve(c => c.Source.ConnectedAt);
        Field<BigIntGraphType>("connectionId").Resolve(c => c.Source.ConnectionId);
        Field<AgentMetadataGraphType>("metadata").Resolve(c => c.Source);
    }
}

/// <summary><c>AgentMetadata</c>.</summary>
internal sealed class AgentMetadataGraphType : ObjectGraphType<AgentConnectionInfo>
{
    public AgentMetadataGraphType()
    {
        Name = "AgentMetadata";
        Field<StringGraphType>("version").Resolve(c => c.Source.Version);
        Field<StringGraphType>("commit").Resolve(c => c.Source.CommitId);
        Field<StringGraphType>("podNamespace").Resolve(c => c.Source.PodNamespace);
        Field<StringGraphType>("podName").Resolve(c => c.Source.PodName);
        Field<StringGraphType>("kubernetesVersion").Description("Cluster version (not in GitLab's schema).").Resolve(c => c.Source.KubernetesVersion);
    }
}

/// <summary><c>ClusterAgentActivityEvent</c>.</summary>
internal sealed class ClusterAgentActivityEventGraphType : ObjectGraphType<AgentActivityEvent>
{
    public ClusterAgentActivityEventGraphType()
    {
        Name = "ClusterAgentActivityEvent";
        Field<StringGraphType>("kind").Resolve(c => ActivityKinds.Name(c.Source.Kind));
        Field<StringGraphType>("level").Resolve(c => c.Source.Kind == AgentActivityKind.AgentDisconnected ? "warning" : "info");
        Field<TimeGraphType>("recordedAt").Resolve(c => c.Source.OccurredAt);
        Field<ClusterAgentTokenGraphType>("agentToken").ResolveAsync(async c => c.Source.TokenId is { } id
            ? (await c.Management().Registry.ListTokensAsync(c.Source.AgentId, c.CancellationToken)).FirstOrDefault(t => t.Id == id)
            : null);
    }
}

/// <summary><c>ClusterAgentTokenStatus</c>.</summary>
internal sealed class AgentTokenStatusGraphType : EnumerationGraphType
{
    public AgentTokenStatusGraphType()
    {
        Name = "AgentTokenStatus";
        Add("ACTIVE", "ACTIVE", "Active agent token.");
        Add("REVOKED", "REVOKED", "Revoked agent token.");
    }
}

/// <summary><c>AgentConnectionStatus</c> (not in GitLab's schema).</summary>
internal sealed class AgentConnectionStatusGraphType : EnumerationGraphType
{
    public AgentConnectionStatusGraphType()
    {
        Name = "AgentConnectionStatus";
        Add("NEVER_CONNECTED", AgentConnectionStatus.NeverConnected, "The agent never connected.");
        Add("NOT_CONNECTED", AgentConnectionStatus.NotConnected, "The agent connected before but is not connected now.");
        Add("CONNECTED", AgentConnectionStatus.Connected, "The agent is connected.");
    }
}

/// <summary>Base of the <c>…Connection</c> types: <c>nodes</c> and <c>count</c>.</summary>
internal abstract class NodesConnectionGraphType<TNodeGraphType, TNode> : ObjectGraphType<IReadOnlyList<TNode>>
    where TNodeGraphType : IGraphType
{
    protected NodesConnectionGraphType(string name)
    {
        Name = name;
        Field<ListGraphType<TNodeGraphType>>("nodes").Resolve(c => c.Source);
        Field<NonNullGraphType<IntGraphType>>("count").Resolve(c => c.Source.Count);
    }
}

internal sealed class ClusterAgentConnectionGraphType() : NodesConnectionGraphType<ClusterAgentGraphType, AgentInfo>("ClusterAgentConnection");

internal sealed class ClusterAgentTokenConnectionGraphType() : NodesConnectionGraphType<ClusterAgentTokenGraphType, AgentTokenInfo>("ClusterAgentTokenConnection");

internal sealed class ConnectedAgentConnectionGraphType() : NodesConnectionGraphType<ConnectedAgentGraphType, AgentConnectionInfo>("ConnectedAgentConnection");

internal sealed class ClusterAgentActivityEventConnectionGraphType()
    : NodesConnectionGraphType<ClusterAgentActivityEventGraphType, AgentActivityEvent>("ClusterAgentActivityEventConnection");
