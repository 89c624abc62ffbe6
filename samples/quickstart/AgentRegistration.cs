using System.Globalization;
using System.Text.Json.Nodes;

namespace Quickstart;

/// <summary>Registers the agent and its token through GraphQL, reusing both on later runs.</summary>
public static class AgentRegistration
{
    private const string FindAgent = """
        query($project: ID!, $name: String!) {
          project(fullPath: $project) { clusterAgent(name: $name) { id tokens { nodes { id status createdAt } } } }
        }
        """;

    private const string CreateAgent = """
        mutation($project: ID!, $name: String!) {
          createClusterAgent(input: { projectPath: $project, name: $name }) { clusterAgent { id name } errors }
        }
        """;

    private const string CreateToken = """
        mutation($agent: ClustersAgentID!) {
          clusterAgentTokenCreate(input: { clusterAgentId: $agent, name: "quickstart", description: "Created by the quickstart" }) {
            secret token { id createdAt } errors
          }
        }
        """;

    private const string RevokeToken = "mutation($id: ClustersAgentTokenID!) { clusterAgentTokenRevoke(input: { id: $id }) { errors } }";

    /// <summary>The agent's global id, its numeric id, whether it was created now, and the file holding its token.</summary>
    public sealed record Result(string AgentGid, long AgentId, bool Created, string TokenFile);

    public static async Task<Result> EnsureAsync(GraphqlClient graphql, QuickstartOptions options, CancellationToken cancellationToken)
    {
        var variables = new { project = options.ProjectPath, name = options.AgentName };
        var project = (await graphql.RunAsync(FindAgent, variables, cancellationToken))["project"]
            ?? throw new InvalidOperationException($"project {options.ProjectPath} is not visible to the quickstart user");
        var agent = project["clusterAgent"];
        var created = false;
        if (agent is null)
        {
            agent = (await graphql.MutateAsync("createClusterAgent", CreateAgent, variables, cancellationToken))["clusterAgent"]!;
            created = true;
        }

        var agentGid = agent["id"]!.GetValue<string>();
        var tokenFile = Path.Combine(options.StateDirectory, "agent-token");
        var tokenIdFile = tokenFile + ".id";
        var activeTokens = (agent["tokens"]?["nodes"] as JsonArray ?? [])
            .Where(t => t?["status"]?.GetValue<string>() == "ACTIVE")
            .Select(t => t!["id"]!.GetValue<string>())
            .ToList();
        var knownId = File.Exists(tokenIdFile) && File.Exists(tokenFile) ? (await File.ReadAllTextAsync(tokenIdFile, cancellationToken)).Trim() : null;
        if (knownId is null || !activeTokens.Contains(knownId))
        {
            // An agent has at most two active tokens: make room by revoking the oldest ones we cannot use.
            while (activeTokens.Count >= 2)
            {
                await graphql.MutateAsync("clusterAgentTokenRevoke", RevokeToken, new { id = activeTokens[0] }, cancellationToken);
                activeTokens.RemoveAt(0);
            }

            var token = await graphql.MutateAsync("clusterAgentTokenCreate", CreateToken, new { agent = agentGid }, cancellationToken);
            await SecretFile.WriteAsync(tokenFile, token["secret"]!.GetValue<string>(), cancellationToken);
            await File.WriteAllTextAsync(tokenIdFile, token["token"]!["id"]!.GetValue<string>(), cancellationToken);
        }

        var id = long.Parse(agentGid[(agentGid.LastIndexOf('/') + 1)..], CultureInfo.InvariantCulture);
        return new Result(agentGid, id, created, tokenFile);
    }

    /// <summary>Waits until GraphQL reports the agent connected; returns the agentk version it reported.</summary>
    public static async Task<string?> WaitConnectedAsync(GraphqlClient graphql, QuickstartOptions options, CancellationToken cancellationToken)
    {
        const string Status = """
            query($project: ID!, $name: String!) {
              project(fullPath: $project) { clusterAgent(name: $name) { connectionStatus connections { nodes { metadata { version } } } } }
            }
            """;
        while (true)
        {
            var agent = (await graphql.RunAsync(Status, new { project = options.ProjectPath, name = options.AgentName }, cancellationToken))["project"]?["clusterAgent"];
            if (agent?["connectionStatus"]?.GetValue<string>() == "CONNECTED")
            {
                return agent["connections"]?["nodes"]?[0]?["metadata"]?["version"]?.GetValue<string>();
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }
}
