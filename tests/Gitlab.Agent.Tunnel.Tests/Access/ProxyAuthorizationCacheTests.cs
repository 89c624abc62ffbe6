using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.Protocol.KasCfg;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.Tunnel.Server;
using Gitlab.Agent.Tunnel.Server.Access;
using Gitlab.Agent.Tunnel.Tests.Infrastructure;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Tunnel.Tests.Access;

/// <summary>
/// <c>allowed_agent_cache_ttl</c> / <c>_error_ttl</c>: the proxy reuses its decision per credential on a manual clock,
/// and revocations in this KAS still apply at once. Real token stores (SQLite) and the real authorizer, as composed by
/// <c>AddKas().AddTunnel()</c>; only the agent configuration is kept in memory so that the tests can change it.
/// </summary>
public sealed class ProxyAuthorizationCacheTests : IDisposable
{
    private const long AgentId = 42;
    private static readonly ProjectRef ConfigProject = new(7, "group/agent-config");

    private const string CiAccessForApp = """
        ci_access:
          projects:
          - id: group/app
        user_access:
          projects:
          - id: group/app
        """;

    private const string NoAccess = "{}";

    private readonly TempDirectory _directory = new("proxy-auth-cache");
    private readonly ManualTimeProvider _time = new();
    private readonly TestAgentConfigurationStore _agents = new();
    private readonly List<ServiceProvider> _providers = [];

    public void Dispose()
    {
        foreach (var provider in _providers)
        {
            provider.Dispose();
        }

        _directory.Dispose();
    }

    [Fact]
    public async Task A_granted_decision_is_reused_within_the_ttl_and_re_evaluated_after_it()
    {
        var (_, authorizer, token) = await StartWithJobAsync(CiAccessForApp);
        Assert.Equal(200, await StatusAsync(authorizer, token));

        // The configuration project drops the job's project: the cached grant holds for the TTL (60 s by default).
        _agents.Set(AgentId, "agent", ConfigProject, NoAccess);
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(200, await StatusAsync(authorizer, token));

        _time.Advance(TimeSpan.FromSeconds(1));
        var decision = await authorizer.AuthorizeAsync(Ci(token), default);
        Assert.Equal(403, decision.StatusCode);
        Assert.Contains("not allowed for project group/app", decision.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refusal_is_reused_for_the_shorter_error_ttl()
    {
        var (_, authorizer, token) = await StartWithJobAsync(NoAccess);
        Assert.Equal(403, await StatusAsync(authorizer, token));
        Assert.Equal(403, await StatusAsync(authorizer, token, agentId: 43));

        // Access granted and the unknown agent registered: both refusals hold for the error TTL (10 s), not for 60 s.
        _agents.Set(AgentId, "agent", ConfigProject, CiAccessForApp);
        _agents.Set(43, "other", new ProjectRef(100, "group/app"), NoAccess);
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(403, await StatusAsync(authorizer, token));
        Assert.Equal(403, await StatusAsync(authorizer, token, agentId: 43));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(200, await StatusAsync(authorizer, token));
        Assert.Equal(200, await StatusAsync(authorizer, token, agentId: 43));

    }

    [Fact]
    public async Task Revoking_a_ci_job_token_evicts_it_at_once_and_leaves_other_tokens_cached()
    {
        var services = Start();
        var revoked = await IssueAsync(services, "group/app");
        var kept = await IssueAsync(services, "group/app");
        _agents.Set(AgentId, "agent", ConfigProject, CiAccessForApp);
        var authorizer = services.GetRequiredService<ProxyAuthorizer>();
        Assert.Equal(200, await StatusAsync(authorizer, revoked));
        Assert.Equal(200, await StatusAsync(authorizer, kept));

        Assert.True(await services.GetRequiredService<ICiJobTokenService>().RevokeAsync(revoked));

        var decision = await authorizer.AuthorizeAsync(Ci(revoked), default);
        Assert.Equal(401, decision.StatusCode);
        Assert.Contains("invalid, expired or revoked CI job token", decision.Error, StringComparison.Ordinal);

        // The other job's grant is still the cached one (the configuration no longer allows it, the cache does).
        _agents.Set(AgentId, "agent", ConfigProject, NoAccess);
        Assert.Equal(200, await StatusAsync(authorizer, kept));
    }

    [Fact]
    public async Task A_decision_made_while_its_token_is_revoked_is_not_kept()
    {
        var (services, authorizer, token) = await StartWithJobAsync(CiAccessForApp);
        var cache = services.GetRequiredService<ProxyAuthorizationCache>();
        var jobTokens = services.GetRequiredService<ICiJobTokenService>();

        // The token is verified, then revoked before the decision is stored.
        var racing = await cache.GetOrEvaluateAsync(Ci(token), async (credential, ct) =>
        {
            var decision = await authorizer.EvaluateAsync(credential, ct);
            Assert.True(await jobTokens.RevokeAsync(token, ct));
            return decision;
        }, default);
        Assert.Equal(200, racing.StatusCode);

        Assert.Equal(401, await StatusAsync(authorizer, token));
    }

    [Fact]
    public async Task Revoking_a_personal_access_token_or_removing_a_membership_applies_at_once()
    {
        var services = Start();
        _agents.Set(AgentId, "agent", ConfigProject, CiAccessForApp);
        var users = services.GetRequiredService<IUserStore>();
        await users.CreateUserAsync("alice");
        await users.SetMembershipAsync("alice", MembershipTarget.Project("group/app"), AccessLevel.Developer);
        var token = await users.CreatePersonalAccessTokenAsync("alice", "kubectl", [PersonalAccessTokenScopes.K8sProxy]);
        var authorizer = services.GetRequiredService<ProxyAuthorizer>();
        Assert.Equal(200, (await authorizer.AuthorizeAsync(Pat(token.Secret), default)).StatusCode);

        await users.RemoveMembershipAsync("alice", MembershipTarget.Project("group/app"));
        var forbidden = await authorizer.AuthorizeAsync(Pat(token.Secret), default);
        Assert.Equal(403, forbidden.StatusCode);
        Assert.Contains("user alice needs the Developer role", forbidden.Error, StringComparison.Ordinal);

        await users.SetMembershipAsync("alice", MembershipTarget.Project("group/app"), AccessLevel.Maintainer);
        Assert.Equal(200, (await authorizer.AuthorizeAsync(Pat(token.Secret), default)).StatusCode);

        await users.RevokePersonalAccessTokenAsync(token.Token.Id);
        var revoked = await authorizer.AuthorizeAsync(Pat(token.Secret), default);
        Assert.Equal(401, revoked.StatusCode);
        Assert.Contains("invalid, expired or revoked personal access token", revoked.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Zero_ttls_turn_caching_off()
    {
        var services = Start(o =>
        {
            o.AllowedAgentCacheTtl = TimeSpan.Zero;
            o.AllowedAgentCacheErrorTtl = TimeSpan.Zero;
        });
        var token = await IssueAsync(services, "group/app");
        var authorizer = services.GetRequiredService<ProxyAuthorizer>();

        _agents.Set(AgentId, "agent", ConfigProject, CiAccessForApp);
        Assert.Equal(200, await StatusAsync(authorizer, token));
        _agents.Set(AgentId, "agent", ConfigProject, NoAccess);
        Assert.Equal(403, await StatusAsync(authorizer, token));
        _agents.Set(AgentId, "agent", ConfigProject, CiAccessForApp);
        Assert.Equal(200, await StatusAsync(authorizer, token));
        Assert.Equal(0, services.GetRequiredService<ProxyAuthorizationCache>().Count);
    }

    [Fact]
    public void Ttls_come_from_the_kas_configuration_unless_the_options_override_them()
    {
        var kas = new KasOptions
        {
            Configuration = new ConfigurationFile
            {
                Agent = new AgentCF { KubernetesApi = new KubernetesApiCF { AllowedAgentCacheTtl = Duration.FromTimeSpan(TimeSpan.FromSeconds(30)), AllowedAgentCacheErrorTtl = Duration.FromTimeSpan(TimeSpan.FromSeconds(5)) } },
            },
        };

        var fromConfig = ProxyAuthorizationCache.Create(new TunnelServerOptions(), kas, _time);
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5)), (fromConfig.Ttl, fromConfig.ErrorTtl));

        var overridden = ProxyAuthorizationCache.Create(new TunnelServerOptions { AllowedAgentCacheTtl = TimeSpan.Zero, AllowedAgentCacheErrorTtl = TimeSpan.FromSeconds(1) }, kas, _time);
        Assert.Equal((TimeSpan.Zero, TimeSpan.FromSeconds(1)), (overridden.Ttl, overridden.ErrorTtl));

        var defaults = ProxyAuthorizationCache.Create(new TunnelServerOptions(), new KasOptions(), _time);
        Assert.Equal((TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(10)), (defaults.Ttl, defaults.ErrorTtl));

        var invalid = new TunnelServerOptionsValidator().Validate(null, new TunnelServerOptions { AllowedAgentCacheTtl = TimeSpan.FromSeconds(-1), AllowedAgentCacheErrorTtl = TimeSpan.FromSeconds(-2) });
        Assert.True(invalid.Failed);
        Assert.Contains("TunnelServerOptions.AllowedAgentCacheTtl must be zero (no caching) or positive (got -00:00:01)", invalid.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("TunnelServerOptions.AllowedAgentCacheErrorTtl must be zero (no caching) or positive (got -00:00:02)", invalid.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flood_of_bad_tokens_stays_within_the_entry_limit_and_expired_entries_make_room()
    {
        var (services, _, token) = await StartWithJobAsync(CiAccessForApp);
        var cache = new ProxyAuthorizationCache(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(10), _time, maxEntries: 50);
        var authorizer = new ProxyAuthorizer(
            services.GetRequiredService<ICiJobTokenService>(), services.GetRequiredService<IPersonalAccessTokenService>(), _agents, cache);

        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(401, await StatusAsync(authorizer, $"glcbt-bad-{i}"));
        }

        Assert.Equal(50, cache.Count);

        // Full: a good token is answered but not stored, so a configuration change shows at once.
        Assert.Equal(200, await StatusAsync(authorizer, token));
        Assert.Equal(50, cache.Count);

        // Once the refusals expired they are swept and the grant is cached again.
        _time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(200, await StatusAsync(authorizer, token));
        Assert.Equal(1, cache.Count);
        _agents.Set(AgentId, "agent", ConfigProject, NoAccess);
        Assert.Equal(200, await StatusAsync(authorizer, token));
    }

    private static ProxyCredential Ci(string token, long agentId = AgentId) => new(ProxyCredentialType.CiJob, agentId, token);

    private static ProxyCredential Pat(string token) => new(ProxyCredentialType.PersonalAccessToken, AgentId, token);

    private static async Task<int> StatusAsync(ProxyAuthorizer authorizer, string token, long agentId = AgentId) =>
        (await authorizer.AuthorizeAsync(Ci(token, agentId), default)).StatusCode;

    /// <summary>KAS services (<see cref="Start"/>), a job token of <c>group/app</c>, and agent 42 with <paramref name="agentConfig"/>.</summary>
    private async Task<(ServiceProvider Services, ProxyAuthorizer Authorizer, string Token)> StartWithJobAsync(string agentConfig)
    {
        var services = Start();
        var token = await IssueAsync(services, "group/app");
        _agents.Set(AgentId, "agent", ConfigProject, agentConfig);
        return (services, services.GetRequiredService<ProxyAuthorizer>(), token);
    }

    private static async Task<string> IssueAsync(IServiceProvider services, string projectPath) =>
        (await services.GetRequiredService<ICiJobTokenService>().IssueAsync(
            new CiJob(1, 2, new ProjectRef(100, projectPath), [new GroupRef(1, "group")], null, 9, "alice"))).Token;

    /// <summary>KAS services as <c>AddKas().AddTunnel()</c> composes them, on the manual clock and a fresh registry database.</summary>
    private ServiceProvider Start(Action<TunnelServerOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton<IAgentConfigurationStore>(_agents);
        services.AddSingleton<IProjectInfoProvider>(new TestProjectInfoProvider().Add(100, "group/app"));
        services.AddLogging();
        services.AddKas(o => o.Configuration = new ConfigurationFile
        {
            Registry = new RegistryCF { Sqlite = new SqliteCF { Path = _directory.Combine($"kas-{_providers.Count}.db") } },
        }).AddTunnel(o =>
        {
            o.TokenDatabasePath = ":memory:";
            configure?.Invoke(o);
        });
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider;
    }
}
