using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.Kas.Users;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Management.Services;

/// <summary>
/// Agent and token management with GitLab's permission model, shared by GraphQL, REST and the UI: Developer+ on the
/// agent's project may read, Maintainer+ may create and delete. Mutations need the <c>api</c> scope, reads <c>api</c> or
/// <c>read_api</c>. Objects the caller may not see are reported exactly like objects that do not exist.
/// </summary>
internal sealed class AgentManagementService(
    IAgentRegistry registry,
    IUserStore users,
    IProjectInfoProvider projects,
    IOptions<KasOptions> kasOptions)
{
    public const AccessLevel ReadLevel = AccessLevel.Developer;
    public const AccessLevel WriteLevel = AccessLevel.Maintainer;

    public string KasVersion => kasOptions.Value.Version;

    public IAgentRegistry Registry => registry;

    public static bool CanRead(AuthenticatedUser user) =>
        user.HasScope(PersonalAccessTokenScopes.Api) || user.HasScope(PersonalAccessTokenScopes.ReadApi);

    public Task<AccessLevel> GetAccessLevelAsync(AuthenticatedUser user, string projectPath, CancellationToken cancellationToken) =>
        users.GetAccessLevelAsync(user.User.Id, projectPath, cancellationToken);

    /// <summary>The project when the caller may read it and it exists, else <see langword="null"/>.</summary>
    public async Task<ProjectInfo?> GetProjectAsync(AuthenticatedUser user, string projectPath, CancellationToken cancellationToken)
    {
        if (!CanRead(user) || await GetAccessLevelAsync(user, projectPath, cancellationToken) < ReadLevel)
        {
            return null;
        }

        return await projects.GetProjectAsync(projectPath, cancellationToken);
    }

    /// <summary>Projects in the registry the caller may read, ordered by path.</summary>
    public async Task<IReadOnlyList<ProjectInfo>> ListProjectsAsync(AuthenticatedUser user, CancellationToken cancellationToken)
    {
        var result = new List<ProjectInfo>();
        if (!CanRead(user))
        {
            return result;
        }

        foreach (var project in await registry.ListProjectsAsync(cancellationToken))
        {
            if (await GetAccessLevelAsync(user, project.Path, cancellationToken) >= ReadLevel)
            {
                result.Add(project);
            }
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return result;
    }

    /// <summary>The agent when the caller has at least <paramref name="level"/> on its project; otherwise throws <see cref="ManagementAccessDeniedException"/>.</summary>
    public async Task<AgentInfo> GetAgentAsync(AuthenticatedUser user, long agentId, AccessLevel level, CancellationToken cancellationToken)
    {
        RequireScope(user, level);
        var agent = await registry.GetAgentAsync(agentId, cancellationToken);
        if (agent is null || await GetAccessLevelAsync(user, agent.ProjectPath, cancellationToken) < level)
        {
            throw new ManagementAccessDeniedException();
        }

        return agent;
    }

    public async Task<ManagementResult<AgentInfo>> CreateAgentAsync(AuthenticatedUser user, string? projectPath, string? name, CancellationToken cancellationToken)
    {
        RequireScope(user, WriteLevel);
        if (string.IsNullOrEmpty(projectPath))
        {
            return ManagementResult<AgentInfo>.Fail("projectPath must not be empty");
        }

        if (await GetAccessLevelAsync(user, projectPath, cancellationToken) < WriteLevel)
        {
            throw new ManagementAccessDeniedException();
        }

        if (await projects.GetProjectAsync(projectPath, cancellationToken) is null)
        {
            return ManagementResult<AgentInfo>.Fail($"project '{projectPath}' does not exist");
        }

        try
        {
            return ManagementResult<AgentInfo>.Ok(await registry.CreateAgentAsync(projectPath, name ?? string.Empty, cancellationToken));
        }
        catch (AgentRegistryException ex)
        {
            return ManagementResult<AgentInfo>.Fail(ex.Message);
        }
    }

    public async Task<ManagementResult<bool>> DeleteAgentAsync(AuthenticatedUser user, long agentId, CancellationToken cancellationToken)
    {
        await GetAgentAsync(user, agentId, WriteLevel, cancellationToken);
        try
        {
            await registry.DeleteAgentAsync(agentId, cancellationToken);
            return ManagementResult<bool>.Ok(true);
        }
        catch (AgentRegistryException ex)
        {
            return ManagementResult<bool>.Fail(ex.Message);
        }
    }

    public async Task<ManagementResult<NewAgentToken>> CreateTokenAsync(
        AuthenticatedUser user, long agentId, string? name, string? description, CancellationToken cancellationToken)
    {
        await GetAgentAsync(user, agentId, WriteLevel, cancellationToken);
        try
        {
            return ManagementResult<NewAgentToken>.Ok(await registry.CreateTokenAsync(agentId, name ?? string.Empty, description, cancellationToken));
        }
        catch (AgentRegistryException ex)
        {
            return ManagementResult<NewAgentToken>.Fail(ex.Message);
        }
    }

    public async Task<ManagementResult<bool>> RevokeTokenAsync(AuthenticatedUser user, long tokenId, CancellationToken cancellationToken)
    {
        await GetTokenAsync(user, tokenId, WriteLevel, cancellationToken);
        try
        {
            await registry.RevokeTokenAsync(tokenId, cancellationToken);
            return ManagementResult<bool>.Ok(true);
        }
        catch (AgentRegistryException ex)
        {
            return ManagementResult<bool>.Fail(ex.Message);
        }
    }

    public async Task<ManagementResult<bool>> DeleteTokenAsync(AuthenticatedUser user, long tokenId, CancellationToken cancellationToken)
    {
        await GetTokenAsync(user, tokenId, WriteLevel, cancellationToken);
        try
        {
            await registry.DeleteTokenAsync(tokenId, cancellationToken);
            return ManagementResult<bool>.Ok(true);
        }
        catch (AgentRegistryException ex)
        {
            return ManagementResult<bool>.Fail(ex.Message);
        }
    }

    /// <summary>The token and its agent when the caller has at least <paramref name="level"/> on the agent's project.</summary>
    public async Task<(AgentInfo Agent, AgentTokenInfo Token)> GetTokenAsync(AuthenticatedUser user, long tokenId, AccessLevel level, CancellationToken cancellationToken)
    {
        RequireScope(user, level);

        // The registry has no token lookup by id; agents are few, so scan the agents the caller may see.
        foreach (var agent in await registry.ListAgentsAsync(null, cancellationToken))
        {
            if (await GetAccessLevelAsync(user, agent.ProjectPath, cancellationToken) < level)
            {
                continue;
            }

            if ((await registry.ListTokensAsync(agent.Id, cancellationToken)).FirstOrDefault(t => t.Id == tokenId) is { } token)
            {
                return (agent, token);
            }
        }

        throw new ManagementAccessDeniedException();
    }

    /// <summary>Live state of <paramref name="agent"/> (the caller has already been authorized).</summary>
    public async Task<AgentOverview> GetOverviewAsync(AgentInfo agent, CancellationToken cancellationToken)
    {
        var live = await registry.ListConnectionsAsync(agent.Id, connectedOnly: true, cancellationToken);
        var all = live.Count > 0 ? live : await registry.ListConnectionsAsync(agent.Id, connectedOnly: false, cancellationToken);
        var tokens = await registry.ListTokensAsync(agent.Id, cancellationToken);
        DateTimeOffset? lastContact = null;
        foreach (var seen in all.Select(c => (DateTimeOffset?)c.LastSeenAt).Concat(tokens.Select(t => t.LastUsedAt)))
        {
            if (seen > lastContact || lastContact is null)
            {
                lastContact = seen ?? lastContact;
            }
        }

        var status = live.Count > 0 ? AgentConnectionStatus.Connected
            : all.Count > 0 || lastContact is not null ? AgentConnectionStatus.NotConnected
            : AgentConnectionStatus.NeverConnected;
        var version = all.OrderByDescending(c => c.LastSeenAt).Select(c => c.Version).FirstOrDefault(v => !string.IsNullOrEmpty(v));
        return new AgentOverview(agent, status, lastContact, live, version, VersionComparison.IsMismatch(version, KasVersion));
    }

    private static void RequireScope(AuthenticatedUser user, AccessLevel level)
    {
        var ok = level >= WriteLevel ? user.HasScope(PersonalAccessTokenScopes.Api) : CanRead(user);
        if (!ok)
        {
            throw new ManagementAccessDeniedException(
                $"insufficient_scope: the personal access token needs the '{(level >= WriteLevel ? PersonalAccessTokenScopes.Api : "api' or 'read_api")}' scope");
        }
    }
}
