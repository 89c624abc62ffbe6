using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Protocol.KasCfg;
using Gitlab.Agent.TestUtilities;

namespace Gitlab.Agent.Kas.Tests.Cli;

public sealed class KasCommandLineTests : IDisposable
{
    private readonly TempDirectory _dir = new("cli");
    private readonly string _config;

    public KasCommandLineTests()
    {
        _config = _dir.Combine("kas.yaml");
        File.WriteAllText(_config, "registry:\n  sqlite:\n    path: data/kas.db\nagent:\n  listen:\n    address: 127.0.0.1:0\n");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await KasCommandLine.InvokeAsync(args, (_, _) => throw new InvalidOperationException("serve must not run"), output, error);
        return (code, output.ToString(), error.ToString());
    }

    private SqliteAgentRegistry Registry() => new(new SqliteAgentRegistryOptions(_dir.Combine("data", "kas.db")), TimeProvider.System);

    [Fact]
    public async Task Agents_create_and_list_work_against_the_configured_registry()
    {
        var (code, output, error) = await Run("agents", "create", "--project", "group/project", "--name", "my-agent", "--configuration-file", _config);

        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("Created agent my-agent (id 1) in project group/project", output);
        var (listCode, table, _) = await Run("agents", "list", "-c", _config);
        Assert.Equal(0, listCode);
        var lines = table.TrimEnd().Split('\n');
        Assert.StartsWith("ID  PROJECT", lines[0]);
        Assert.Matches(@"^1\s+group/project\s+my-agent\s+never connected\s+-", lines[1]);
        var (_, filtered, _) = await Run("agents", "list", "--project", "other/project", "-c", _config);
        Assert.Single(filtered.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Tokens_create_prints_only_the_secret_on_standard_output()
    {
        await Run("agents", "create", "--project", "group/project", "--name", "agent", "-c", _config);

        var (code, output, error) = await Run("tokens", "create", "--agent-id", "1", "--name", "t1", "--description", "first", "-c", _config);

        Assert.Equal(0, code);
        var secret = output.Trim();
        Assert.Matches("^glagent-[A-Za-z0-9_-]{50}$", secret);
        Assert.Contains("Store the secret now", error);
        var identity = await Registry().AuthenticateAsync(secret);
        Assert.Equal("agent", identity!.AgentName);
        var (_, tokens, _) = await Run("tokens", "list", "--agent-id", "1", "-c", _config);
        Assert.Matches(@"\n1\s+t1\s+active", tokens);
        Assert.DoesNotContain(secret, tokens);
    }

    [Fact]
    public async Task A_third_token_and_invalid_names_fail_with_a_one_line_error_and_exit_code_1()
    {
        await Run("agents", "create", "--project", "group/project", "--name", "agent", "-c", _config);
        await Run("tokens", "create", "--agent-id", "1", "--name", "t1", "-c", _config);
        await Run("tokens", "create", "--agent-id", "1", "--name", "t2", "-c", _config);

        var (code, output, error) = await Run("tokens", "create", "--agent-id", "1", "--name", "t3", "-c", _config);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal("error: agent 'agent' (id 1) already has 2 active tokens; revoke one before creating another", error.Trim());

        var (badCode, _, badError) = await Run("agents", "create", "--project", "group/project", "--name", "Bad_Name", "-c", _config);
        Assert.Equal(1, badCode);
        Assert.Single(badError.Trim().Split('\n'));
        Assert.StartsWith("error: Invalid agent name \"Bad_Name\"", badError);

        var (missingCode, _, missingError) = await Run("tokens", "revoke", "--token-id", "99", "-c", _config);
        Assert.Equal(1, missingCode);
        Assert.Equal("error: token 99 does not exist", missingError.Trim());
    }

    [Fact]
    public async Task Tokens_revoke_makes_authentication_fail()
    {
        await Run("agents", "create", "--project", "group/project", "--name", "agent", "-c", _config);
        var (_, secret, _) = await Run("tokens", "create", "--agent-id", "1", "--name", "t1", "-c", _config);

        var (code, output, _) = await Run("tokens", "revoke", "--token-id", "1", "-c", _config);

        Assert.Equal(0, code);
        Assert.Contains("Revoked token 1", output);
        Assert.Null(await Registry().AuthenticateAsync(secret.Trim()));
        var kinds = (await Registry().ListActivityAsync(1)).Select(e => e.Kind);
        Assert.Equal([AgentActivityKind.TokenRevoked, AgentActivityKind.TokenCreated], kinds);
    }

    [Fact]
    public async Task An_invalid_configuration_file_is_reported_with_its_position()
    {
        File.WriteAllText(_config, "agent:\n  listen:\n    adress: 127.0.0.1:1\n");

        var (code, _, error) = await Run("agents", "list", "-c", _config);

        Assert.Equal(1, code);
        Assert.StartsWith($"error: {_config}:3:5: ", error);
        Assert.Contains("adress", error);
    }

    [Fact]
    public async Task Missing_required_options_are_usage_errors()
    {
        var (code, _, error) = await Run("agents", "create", "--name", "x", "-c", _config);

        Assert.NotEqual(0, code);
        Assert.Contains("--project", error);
    }

    [Fact]
    public async Task Serve_is_the_default_command_and_gets_the_loaded_configuration()
    {
        ConfigurationFile? received = null;
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await KasCommandLine.InvokeAsync(["--configuration-file", _config], (configuration, _) =>
        {
            received = configuration;
            return Task.FromResult(7);
        }, output, error);

        Assert.Equal(7, code);
        Assert.Equal(_dir.Combine("data", "kas.db"), received!.Registry.Sqlite.Path);
        Assert.Equal("127.0.0.1:0", received.Agent.Listen.Address);
        Assert.Equal("127.0.0.1:8153", received.Api.Listen.Address);
        var (serveCode, _, _) = await Run("--version");
        Assert.Equal(0, serveCode);
    }
}
