using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.Tunnel.Server.Access;
using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Tunnel.Tests.Access;

/// <summary>Which token services <c>AddTunnel()</c> registers on KAS, and that a host's own registrations win.</summary>
public sealed class TokenServiceRegistrationTests
{
    [Fact]
    public void AddTunnel_verifies_personal_tokens_with_the_one_user_store_shared_with_other_features()
    {
        var services = new ServiceCollection();
        services.AddKas().AddUserStore().AddTunnel().AddUserStore();

        Assert.Single(services, d => d.ServiceType == typeof(IUserStore));
        var personal = Assert.Single(services, d => d.ServiceType == typeof(IPersonalAccessTokenService));
        Assert.Equal(typeof(UserStorePersonalAccessTokens), personal.ImplementationType);
        Assert.Single(services, d => d.ServiceType == typeof(ICiJobTokenService));
    }

    [Fact]
    public void A_token_service_registered_by_the_host_replaces_the_default()
    {
        var services = new ServiceCollection();
        var gitlabBacked = new FixedUserTokens();
        services.AddSingleton<IPersonalAccessTokenService>(gitlabBacked);
        services.AddKas().AddTunnel();

        var personal = Assert.Single(services, d => d.ServiceType == typeof(IPersonalAccessTokenService));
        Assert.Same(gitlabBacked, personal.ImplementationInstance);
    }

    private sealed class FixedUserTokens : IPersonalAccessTokenService
    {
        public Task<ProxyUser?> VerifyAsync(string token, CancellationToken cancellationToken = default) =>
            Task.FromResult<ProxyUser?>(token == "secret" ? new ProxyUser(1, "alice", []) : null);
    }
}
