using System.Text.RegularExpressions;
using Gitlab.Agent.Protocol.AgentCfg;
using Gitlab.Agent.Protocol.KubernetesApi;

namespace Gitlab.Agent.Tunnel.Server.Access;

/// <summary>
/// Decides whether a CI job or a user may reach an agent's cluster, from the agent's <c>ci_access</c> and
/// <c>user_access</c>, and which identity the agent impersonates for them. Decisions are reused for a while through
/// <see cref="ProxyAuthorizationCache"/> when one is given.
/// </summary>
internal sealed class ProxyAuthorizer(
    ICiJobTokenService jobTokens,
    IPersonalAccessTokenService personalTokens,
    IAgentConfigurationStore agents,
    ProxyAuthorizationCache? cache = null)
{
    public const string ExtraPrefix = "agent.gitlab.com/";

    private Func<ProxyCredential, CancellationToken, Task<ProxyDecision>>? _evaluate;

    public ValueTask<ProxyDecision> AuthorizeAsync(ProxyCredential credential, CancellationToken cancellationToken) =>
        cache is null
            ? new ValueTask<ProxyDecision>(EvaluateAsync(credential, cancellationToken))
            : cache.GetOrEvaluateAsync(credential, _evaluate ??= EvaluateAsync, cancellationToken);

    /// <summary>Verifies the token and checks the agent's current configuration, without the cache.</summary>
    internal async Task<ProxyDecision> EvaluateAsync(ProxyCredential credential, CancellationToken cancellationToken)
    {
        if (credential.Type == ProxyCredentialType.CiJob)
        {
            var job = await jobTokens.VerifyAsync(credential.Token, cancellationToken).ConfigureAwait(false);
            if (job is null)
            {
                return ProxyDecision.Unauthorized("invalid, expired or revoked CI job token");
            }

            var agent = await agents.GetAsync(credential.AgentId, cancellationToken).ConfigureAwait(false);
            var access = agent is null ? null : FindCiAccess(agent, job);
            return access is null || agent is null
                ? ProxyDecision.Forbidden($"agent {credential.AgentId} is not allowed for project {job.Project.Path} (ci_access)")
                : ProxyDecision.Allow(agent, CiImpersonation(access.AccessAs, agent, job), access.DefaultNamespace);
        }

        var user = await personalTokens.VerifyAsync(credential.Token, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return ProxyDecision.Unauthorized("invalid, expired or revoked personal access token");
        }

        var target = await agents.GetAsync(credential.AgentId, cancellationToken).ConfigureAwait(false);
        var userAccess = target?.Configuration.UserAccess;
        if (target is null || userAccess is null)
        {
            return ProxyDecision.Forbidden($"agent {credential.AgentId} is not shared with user {user.Username} (user_access)");
        }

        var roles = UserRoles(userAccess, user);
        if (roles.Count == 0)
        {
            return ProxyDecision.Forbidden($"user {user.Username} needs the Developer role in a project or group listed in user_access of agent {credential.AgentId}");
        }

        var impersonation = userAccess.AccessAs?.AsCase == UserAccessAsCF.AsOneofCase.User ? UserImpersonation(target, user, roles) : null;
        return ProxyDecision.Allow(target, impersonation, null);
    }

    /// <summary>The ci_access entry that applies to <paramref name="job"/>: a listed project first, then the closest listed group, then the implicit access of the configuration project.</summary>
    internal static CiAccessMatch? FindCiAccess(AgentConfigurationEntry agent, CiJob job)
    {
        var ci = agent.Configuration.CiAccess;
        if (ci is not null)
        {
            foreach (var project in ci.Projects)
            {
                if (SamePath(project.Id, job.Project.Path))
                {
                    return EnvironmentAllowed(project.Environments, job) ? new CiAccessMatch(project.AccessAs, NullIfEmpty(project.DefaultNamespace)) : null;
                }
            }

            for (var i = job.Groups.Count - 1; i >= 0; i--)
            {
                foreach (var group in ci.Groups)
                {
                    if (SamePath(group.Id, job.Groups[i].Path))
                    {
                        return EnvironmentAllowed(group.Environments, job) ? new CiAccessMatch(group.AccessAs, NullIfEmpty(group.DefaultNamespace)) : null;
                    }
                }
            }
        }

        // The configuration project may always use its own agent, as the agent itself.
        return SamePath(agent.ConfigProject.Path, job.Project.Path) || agent.ConfigProject.Id == job.Project.Id
            ? new CiAccessMatch(null, null)
            : null;
    }

    internal static ImpersonationConfig? CiImpersonation(CiAccessAsCF? accessAs, AgentConfigurationEntry agent, CiJob job)
    {
        switch (accessAs?.AsCase ?? CiAccessAsCF.AsOneofCase.None)
        {
            case CiAccessAsCF.AsOneofCase.Impersonate:
                var fixedIdentity = new ImpersonationConfig { Username = accessAs!.Impersonate.Username, Uid = accessAs.Impersonate.Uid };
                fixedIdentity.Groups.AddRange(accessAs.Impersonate.Groups);
                fixedIdentity.Extra.AddRange(accessAs.Impersonate.Extra.Select(e => new ExtraKeyVal { Key = e.Key, Val = { e.Val } }));
                return fixedIdentity;
            case CiAccessAsCF.AsOneofCase.CiJob:
                var imp = new ImpersonationConfig { Username = $"gitlab:ci_job:{job.JobId}" };
                imp.Groups.Add("gitlab:ci_job");
                foreach (var group in job.Groups.Where(g => g.Id is not null))
                {
                    imp.Groups.Add($"gitlab:group:{group.Id}");
                }

                if (job.Environment is { } env)
                {
                    foreach (var group in job.Groups.Where(g => g.Id is not null))
                    {
                        imp.Groups.Add($"gitlab:group_env_tier:{group.Id}:{env.Tier}");
                    }
                }

                imp.Groups.Add($"gitlab:project:{job.Project.Id}");
                if (job.Environment is { } environment)
                {
                    imp.Groups.Add($"gitlab:project_env:{job.Project.Id}:{environment.Slug}");
                    imp.Groups.Add($"gitlab:project_env_tier:{job.Project.Id}:{environment.Tier}");
                }

                AddExtra(imp, "id", agent.AgentId.ToString(System.Globalization.CultureInfo.InvariantCulture));
                AddExtra(imp, "config_project_id", agent.ConfigProject.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                AddExtra(imp, "project_id", job.Project.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                AddExtra(imp, "ci_pipeline_id", job.PipelineId.ToString(System.Globalization.CultureInfo.InvariantCulture));
                AddExtra(imp, "ci_job_id", job.JobId.ToString(System.Globalization.CultureInfo.InvariantCulture));
                AddExtra(imp, "username", job.Username);
                if (job.Environment is { } e2)
                {
                    AddExtra(imp, "environment_slug", e2.Slug);
                    AddExtra(imp, "environment_tier", e2.Tier);
                }

                return imp;
            default:
                // access_as agent (or nothing): the agent's own service account.
                return null;
        }
    }

    /// <summary>Role per directly listed project/group where the user is at least Developer (own membership or inherited from a group).</summary>
    internal static List<(MembershipKind Kind, string Path, long? Id, GitlabRole Role)> UserRoles(UserAccessCF access, ProxyUser user)
    {
        var result = new List<(MembershipKind, string, long?, GitlabRole)>();
        void Consider(MembershipKind kind, string path)
        {
            GitlabRole? best = null;
            long? id = null;
            foreach (var m in user.Memberships)
            {
                var applies = (m.Kind == kind && SamePath(m.Path, path)) || (m.Kind == MembershipKind.Group && IsAncestor(m.Path, path));
                if (!applies)
                {
                    continue;
                }

                if (m.Kind == kind && SamePath(m.Path, path))
                {
                    id = m.Id;
                }

                if (best is null || m.Role > best)
                {
                    best = m.Role;
                }
            }

            if (best is { } role && role >= GitlabRole.Developer)
            {
                result.Add((kind, path, id, role));
            }
        }

        foreach (var project in access.Projects)
        {
            Consider(MembershipKind.Project, project.Id);
        }

        foreach (var group in access.Groups)
        {
            Consider(MembershipKind.Group, group.Id);
        }

        return result;
    }

    internal static ImpersonationConfig UserImpersonation(AgentConfigurationEntry agent, ProxyUser user, List<(MembershipKind Kind, string Path, long? Id, GitlabRole Role)> roles)
    {
        var imp = new ImpersonationConfig { Username = $"gitlab:user:{user.Username}" };
        imp.Groups.Add("gitlab:user");
        foreach (var (kind, _, id, role) in roles)
        {
            if (id is null)
            {
                continue;
            }

            foreach (var granted in Enum.GetValues<GitlabRole>().Where(r => r <= role))
            {
                imp.Groups.Add($"gitlab:{(kind == MembershipKind.Project ? "project_role" : "group_role")}:{id}:{granted.ToString().ToLowerInvariant()}");
            }
        }

        AddExtra(imp, "id", agent.AgentId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AddExtra(imp, "username", user.Username);
        AddExtra(imp, "access_type", "personal_access_token");
        AddExtra(imp, "config_project_id", agent.ConfigProject.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return imp;
    }

    private static void AddExtra(ImpersonationConfig imp, string key, string value) =>
        imp.Extra.Add(new ExtraKeyVal { Key = ExtraPrefix + key, Val = { value } });

    private static bool EnvironmentAllowed(IReadOnlyCollection<string> patterns, CiJob job)
    {
        if (patterns.Count == 0)
        {
            return true;
        }

        return job.Environment is { } env && patterns.Any(p => WildcardMatch(p, env.Name));
    }

    internal static bool WildcardMatch(string pattern, string value) =>
        Regex.IsMatch(value, "^" + string.Join(".*", pattern.Split('*').Select(Regex.Escape)) + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static bool SamePath(string a, string b) => string.Equals(a.Trim('/'), b.Trim('/'), StringComparison.OrdinalIgnoreCase);

    private static bool IsAncestor(string group, string path) =>
        path.Trim('/').StartsWith(group.Trim('/') + "/", StringComparison.OrdinalIgnoreCase);

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}

internal sealed record CiAccessMatch(CiAccessAsCF? AccessAs, string? DefaultNamespace);
