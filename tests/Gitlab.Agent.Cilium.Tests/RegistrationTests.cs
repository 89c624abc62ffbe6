using Gitlab.Agent.Agentk.Modules;
using Gitlab.Agent.Kas.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Cilium.Tests;

public class RegistrationTests
{
    [Fact]
    public void Agent_module_is_registered_and_needs_no_cluster_until_cilium_is_configured()
    {
        var services = new ServiceCollection();
        services.AddLogging(l => l.ClearProviders());
        services.AddAgentk(o =>
        {
            o.KasAddress = "grpc://127.0.0.1:1";
            o.Token = "token";
        }).AddCilium().AddCilium(o => o.AggregationWindow = TimeSpan.FromSeconds(30));
        using var provider = services.BuildServiceProvider();

        var module = Assert.Single(provider.GetServices<IAgentModule>(), m => m.Name == "cilium_alert");
        Assert.NotNull(module);
        Assert.Equal(TimeSpan.FromSeconds(30), provider.GetRequiredService<IOptions<CiliumAgentOptions>>().Value.AggregationWindow);
    }

    [Fact]
    public void Invalid_agent_options_are_reported_by_name()
    {
        var services = new ServiceCollection();
        services.AddAgentk(o => o.KasAddress = "grpc://127.0.0.1:1").AddCilium(o =>
        {
            o.ReconnectInitialDelay = TimeSpan.FromMinutes(10);
            o.DeliveryQueueCapacity = 0;
            o.ReconnectJitter = 2;
        });
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CiliumAgentOptions>>().Value);
        Assert.Contains("Cilium: ReconnectMaxDelay (00:05:00) must not be less than ReconnectInitialDelay (00:10:00)", error.Failures);
        Assert.Contains("Cilium: DeliveryQueueCapacity must be positive, got 0", error.Failures);
        Assert.Contains("Cilium: ReconnectJitter must be between 0 and 1, got 2", error.Failures);
    }

    [Fact]
    public void Kas_half_registers_handler_module_and_store()
    {
        var directory = Path.Combine(Path.GetTempPath(), "cilium-reg-" + Guid.NewGuid().ToString("N"));
        var services = new ServiceCollection();
        services.AddLogging(l => l.ClearProviders());
        services.AddKas(_ => { }).AddCilium(o => o.DatabasePath = Path.Combine(directory, "alerts.db"));
        using var provider = services.BuildServiceProvider();

        Assert.Single(provider.GetServices<IAgentModuleRequestHandler>(), h => h.ModuleName == "cilium_alert");
        Assert.Single(provider.GetServices<IKasModule>(), m => m.Name == "cilium");
        Assert.NotNull(provider.GetRequiredService<ICiliumAlertStore>());
    }

    [Theory]
    [InlineData("https://gitlab.example.com", null, "Cilium: GitlabApiSecret is required when GitlabAddress is set")]
    [InlineData("ftp://gitlab.example.com", "c2VjcmV0", "Cilium: GitlabAddress must be an absolute http:// or https:// URL, got \"ftp://gitlab.example.com/\"")]
    [InlineData("https://gitlab.example.com", "not base64!", "Cilium: GitlabApiSecret must be base64")]
    public void Invalid_kas_options_are_reported_by_name(string address, string? secret, string expected)
    {
        var services = new ServiceCollection();
        services.AddKas(_ => { }).AddCilium(o =>
        {
            o.GitlabAddress = new Uri(address);
            o.GitlabApiSecret = secret;
        });
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CiliumServerOptions>>().Value);
        Assert.Contains(expected, error.Failures);
    }
}
