using Gitlab.Agent.Config;
using Gitlab.Agent.Management.Tests.Infrastructure;
using Gitlab.Agent.TestUtilities;

namespace Gitlab.Agent.Management.Tests.Install;

/// <summary>The container images publish the sample hosts self-contained; this keeps them publishable the same way.</summary>
public sealed class PublishTests
{
    private static async Task<string> PublishAsync(string project, TempDirectory output)
    {
        var result = await ProcessRunner.RunAsync("dotnet",
            ["publish", Path.Combine(RepositoryPaths.Root(), project), "-c", "Release", "-r", "linux-x64", "--self-contained", "true", "-o", output.Path, "-v", "q", "-clp:ErrorsOnly", "-nologo"],
            timeout: TimeSpan.FromMinutes(15));
        Assert.True(result.ExitCode == 0, result.ToString());
        return output.Path;
    }

    [Fact]
    public async Task Agentk_and_kas_samples_publish_self_contained_and_run()
    {
        using var agentkDir = new TempDirectory("publish-agentk");
        using var kasDir = new TempDirectory("publish-kas");
        await PublishAsync("samples/agentk/agentk.csproj", agentkDir);
        await PublishAsync("samples/kas/kas.csproj", kasDir);

        var agentkVersion = await ProcessRunner.RunAsync(Path.Combine(agentkDir.Path, "agentk"), ["--version"]);
        Assert.True(agentkVersion.ExitCode == 0, agentkVersion.ToString());
        Assert.StartsWith("agentk version:", agentkVersion.Stdout);
        var generate = await ProcessRunner.RunAsync(Path.Combine(agentkDir.Path, "agentk"), ["generate", "--agent-token", "glagent-x", "--kas-address", "grpc://kas:8150"]);
        Assert.True(generate.ExitCode == 0, generate.ToString());
        Assert.Contains("kind: Deployment", generate.Stdout);

        var kasVersion = await ProcessRunner.RunAsync(Path.Combine(kasDir.Path, "kas"), ["--version"]);
        Assert.True(kasVersion.ExitCode == 0, kasVersion.ToString());
        Assert.StartsWith("kas version:", kasVersion.Stdout);
        Assert.True(File.Exists(Path.Combine(kasDir.Path, "libe_sqlite3.so")), "the SQLite native library is missing");
        Assert.NotEmpty(Directory.GetFiles(kasDir.Path, "libgit2-*.so"));

        // The kas sample serves with the tunnel wired in: without agent.kubernetes_api the proxy is off, and it says so.
        using var state = new TempDirectory("kas-serve");
        await File.WriteAllTextAsync(state.Combine("kas.yaml"), """
            agent:
              listen:
                address: 127.0.0.1:0
            api:
              listen:
                address: 127.0.0.1:0
            observability:
              listen:
                address: 127.0.0.1:0
            """);
        await using (var kas = HostProcess.Start(Path.Combine(kasDir.Path, "kas"), ["--configuration-file", state.Combine("kas.yaml")], state.Path))
        {
            await kas.WaitForLineAsync(l => l.Contains("Kubernetes API proxy disabled", StringComparison.Ordinal), "kas logs that the proxy is off");
            await kas.WaitForLineAsync(l => l.Contains("Listening for api connections", StringComparison.Ordinal), "kas serves");
            Assert.Equal(0, await kas.StopAsync());
        }

        Assert.True(File.Exists(state.Combine("data", "kas.db")), "the registry database was not created next to the configuration");
    }

    [Fact]
    public void The_container_kas_configuration_is_valid()
    {
        var configuration = KasConfigurationFile.Load(Path.Combine(RepositoryPaths.Root(), "samples", "kas", "kas.container.yaml"));

        Assert.Equal("0.0.0.0:8150", configuration.Agent.Listen.Address);
        Assert.Equal("0.0.0.0:8153", configuration.Api.Listen.Address);
        Assert.Equal("/data/kas.db", configuration.Registry.Sqlite.Path);
    }
}
