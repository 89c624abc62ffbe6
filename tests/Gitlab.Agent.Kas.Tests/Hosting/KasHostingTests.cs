using Gitlab.Agent.TestUtilities;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Kas.Tests.Hosting;

public sealed class KasHostingTests
{
    [Fact]
    public void AddKas_is_idempotent_and_returns_the_same_builder()
    {
        var services = new ServiceCollection();

        var first = services.AddKas(o => o.Version = "1.0.0");
        var count = services.Count;
        var second = services.AddKas(o => o.Version = "2.0.0");

        Assert.Same(first, second);
        Assert.Equal(count + 1, services.Count); // only the second Configure call was added
        using var provider = services.BuildServiceProvider();
        Assert.Equal("2.0.0", provider.GetRequiredService<IOptions<KasOptions>>().Value.Version);
    }

    [Fact]
    public async Task Invalid_options_fail_the_start_with_every_problem_named()
    {
        using var dir = new TempDirectory("invalid");
        var configuration = KasTestHost.DefaultConfiguration(dir);
        configuration.Agent.Listen.Address = "nohost";
        configuration.Api.Listen.CertificateFile = "cert.pem";
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = dir.Path });
        builder.Logging.ClearProviders();
        builder.Services.AddKas(o => o.Configuration = configuration);

        // Kestrel's options are built with the WebApplication, so the problems surface at Build() already.
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = builder.Build();
            app.MapKas();
            await app.StartAsync();
        });

        Assert.Contains(ex.Failures, f => f.Contains("agent.listen.address"));
        Assert.Contains(ex.Failures, f => f.Contains("api.listen") && f.Contains("key_file"));
        Assert.Single(ex.Failures, f => f.Contains("agent.listen.address"));
    }

    [Fact]
    public async Task RunKasAsync_returns_1_when_a_core_loop_dies()
    {
        using var dir = new TempDirectory("loop");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = dir.Path });
        builder.Logging.ClearProviders();
        builder.Services.AddKas(o => o.Configuration = KasTestHost.DefaultConfiguration(dir));
        builder.Services.AddHostedService<FailingLoop>();
        var app = builder.Build();
        app.MapKas();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var code = await app.RunKasAsync(timeout.Token);

        Assert.False(timeout.IsCancellationRequested, "the host should stop by itself");
        Assert.Equal(1, code);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task RunKasAsync_returns_0_after_a_normal_shutdown()
    {
        using var dir = new TempDirectory("stop");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = dir.Path });
        builder.Logging.ClearProviders();
        builder.Services.AddKas(o => o.Configuration = KasTestHost.DefaultConfiguration(dir));
        var app = builder.Build();
        app.MapKas();
        using var stop = new CancellationTokenSource();
        app.Lifetime.ApplicationStarted.Register(stop.Cancel);

        Assert.Equal(0, await app.RunKasAsync(stop.Token));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    private sealed class FailingLoop : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Delay(200, stoppingToken);
            throw new InvalidOperationException("loop died");
        }
    }
}
