namespace Gitlab.Agent.Agentk.Tests.Cli;

public class AgentkCommandLineTests
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    private static (AgentkCommandLine Cli, string Output, string Error) Parse(string[] args, Dictionary<string, string>? environment = null)
    {
        var env = environment ?? NoEnvironment;
        using var output = new StringWriter();
        using var error = new StringWriter();
        var cli = AgentkCommandLine.Parse(args, name => env.GetValueOrDefault(name), output, error);
        return (cli, output.ToString(), error.ToString());
    }

    [Fact]
    public void Every_flag_and_environment_variable_reaches_the_options()
    {
        var (cli, _, _) = Parse(
            [
                "--kas-address", "grpcs://kas.example.com:8150",
                "--ca-cert-file", "/etc/ca.pem",
                "--kas-header", "X-Team: blue",
                "--kas-header=Cookie: a=b: c",
                "--kas-insecure-skip-tls-verify",
                "--kas-tls-server-name", "kas.internal",
                "--kubeconfig", "/home/u/.kube/config",
                "--context", "kind",
                "--observability-listen-address", ":8080",
            ],
            new() { ["AGENTK_TOKEN"] = "glagent-xyz", ["POD_NAMESPACE"] = "gitlab-agent", ["POD_NAME"] = "agentk-1" });

        Assert.Null(cli.ExitCode);
        var options = new AgentkOptions();
        cli.Apply(options);
        Assert.Equal("grpcs://kas.example.com:8150", options.KasAddress);
        Assert.Null(options.TokenFile);
        Assert.Equal("glagent-xyz", options.Token);
        Assert.Equal("/etc/ca.pem", options.CaCertFile);
        Assert.Equal([new("X-Team", "blue"), new("Cookie", "a=b: c")], options.KasHeaders);
        Assert.True(options.KasInsecureSkipTlsVerify);
        Assert.Equal("kas.internal", options.KasTlsServerName);
        Assert.Equal("/home/u/.kube/config", options.Kubeconfig);
        Assert.Equal("kind", options.Context);
        Assert.Equal(":8080", options.ObservabilityListenAddress);
        Assert.Equal("gitlab-agent", options.PodNamespace);
        Assert.Equal("agentk-1", options.PodName);
    }

    [Fact]
    public void Token_file_flag_is_read()
    {
        var (cli, _, _) = Parse(["--kas-address", "grpc://kas:8150", "--token-file", "/config/token"]);
        var options = new AgentkOptions();
        cli.Apply(options);

        Assert.Equal("/config/token", options.TokenFile);
        Assert.Null(options.Token);
        Assert.Empty(options.KasHeaders);
        Assert.False(options.KasInsecureSkipTlsVerify);
    }

    [Fact]
    public void Version_prints_version_and_commit_and_exits_zero()
    {
        var (cli, output, _) = Parse(["--version"]);

        Assert.Equal(0, cli.ExitCode);
        Assert.Matches(@"^agentk version: \d+\.\d+\.\d+[^,]*, commit: \S+\n$", output.Replace("\r\n", "\n"));
    }

    [Fact]
    public void Help_exits_zero_and_lists_the_flags()
    {
        var (cli, output, _) = Parse(["--help"]);

        Assert.Equal(0, cli.ExitCode);
        foreach (var flag in new[] { "--kas-address", "--token-file", "--ca-cert-file", "--kas-header", "--kas-insecure-skip-tls-verify", "--kas-tls-server-name", "--kubeconfig", "--context", "--observability-listen-address", "--version" })
        {
            Assert.Contains(flag, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_header_without_colon_is_a_usage_error()
    {
        var (cli, _, error) = Parse(["--kas-address", "grpc://kas:1", "--kas-header", "X-Team blue"]);

        Assert.NotNull(cli.ExitCode);
        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains("--kas-header 'X-Team blue' must be \"Name: value\".", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_flag_is_a_usage_error()
    {
        var (cli, _, error) = Parse(["--kas-adress", "grpc://kas:1"]);

        Assert.NotEqual(0, cli.ExitCode ?? 0);
        Assert.Contains("--kas-adress", error, StringComparison.Ordinal);
    }
}
