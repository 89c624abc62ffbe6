using System.CommandLine;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.TestUtilities;

namespace Gitlab.Agent.Kas.Tests.Users;

public sealed class KasUserCommandsTests : IDisposable
{
    private readonly TempDirectory _dir = new("users-cli");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private string DbPath => _dir.Combine("kas.db");

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand("kas");
        var tokens = new Command("tokens", "tokens");
        root.Subcommands.Add(KasUserCommands.CreateUsersCommand(_ => new SqliteUserStore(new SqliteUserStoreOptions(DbPath), TimeProvider.System)));
        tokens.Subcommands.Add(KasUserCommands.CreatePersonalTokenCommand(_ => new SqliteUserStore(new SqliteUserStoreOptions(DbPath), TimeProvider.System)));
        root.Subcommands.Add(tokens);
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Create_user_add_member_and_personal_token_end_to_end()
    {
        var create = await RunAsync("users", "create", "--username", "alice");
        Assert.Equal(0, create.Code);
        Assert.Contains("created user 'alice'", create.Output);

        var member = await RunAsync("users", "add-member", "--username", "alice", "--group", "group", "--role", "Maintainer");
        Assert.Equal(0, member.Code);
        Assert.Contains("maintainer of group 'group'", member.Output);

        var token = await RunAsync("tokens", "create-personal", "--username", "alice", "--scopes", "api,k8s_proxy");
        Assert.Equal(0, token.Code);
        var secret = token.Output.Trim();
        Assert.StartsWith("glpat-", secret);
        Assert.Contains("shown only once", token.Error);

        var store = new SqliteUserStore(new SqliteUserStoreOptions(DbPath), TimeProvider.System);
        var auth = await store.AuthenticateAsync(secret);
        Assert.NotNull(auth);
        Assert.Equal("alice", auth.User.Username);
        Assert.True(auth.HasScope("k8s_proxy"));
        Assert.Equal(AccessLevel.Maintainer, await store.GetAccessLevelAsync(auth.User.Id, "group/sub/project"));

        var list = await RunAsync("users", "list");
        Assert.Contains("alice", list.Output);
        Assert.Contains("maintainer of group 'group'", list.Output);
        Assert.Contains("[api,k8s_proxy] active", list.Output);
    }

    [Fact]
    public async Task Errors_are_reported_with_exit_code_1()
    {
        var unknownUser = await RunAsync("users", "add-member", "--username", "ghost", "--project", "g/p", "--role", "developer");
        Assert.Equal(1, unknownUser.Code);
        Assert.Contains("user 'ghost' does not exist", unknownUser.Error);

        var badRole = await RunAsync("users", "add-member", "--username", "ghost", "--project", "g/p", "--role", "admin");
        Assert.NotEqual(0, badRole.Code);
        Assert.Contains("--role 'admin' is invalid", badRole.Error);

        var both = await RunAsync("users", "add-member", "--username", "ghost", "--project", "g/p", "--group", "g", "--role", "developer");
        Assert.NotEqual(0, both.Code);
        Assert.Contains("exactly one of --project or --group", both.Error);

        await RunAsync("users", "create", "--username", "alice");
        var badScope = await RunAsync("tokens", "create-personal", "--username", "alice", "--scopes", "api,root");
        Assert.Equal(1, badScope.Code);
        Assert.Contains("scope 'root' is unknown", badScope.Error);
        Assert.Equal(string.Empty, badScope.Output);
    }

    [Fact]
    public async Task The_kas_command_line_serves_the_user_commands_on_the_configured_registry()
    {
        var config = _dir.Combine("kas.yaml");
        await File.WriteAllTextAsync(config, "registry:\n  sqlite:\n    path: data/kas.db\n");
        async Task<(int Code, string Out, string Err)> Kas(params string[] args)
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var code = await KasCommandLine.InvokeAsync(args, (_, _) => throw new InvalidOperationException("serve must not run"), output, error);
            return (code, output.ToString(), error.ToString());
        }

        Assert.Equal(0, (await Kas("users", "create", "--username", "alice", "-c", config)).Code);
        Assert.Equal(0, (await Kas("users", "add-member", "--username", "alice", "--project", "group/project", "--role", "developer", "-c", config)).Code);
        var (code, secret, _) = await Kas("tokens", "create-personal", "--username", "alice", "--scopes", "read_api", "-c", config);
        Assert.Equal(0, code);

        var store = new SqliteUserStore(new SqliteUserStoreOptions(_dir.Combine("data", "kas.db")), TimeProvider.System);
        var user = await store.AuthenticateAsync(secret.Trim());
        Assert.NotNull(user);
        Assert.Equal(AccessLevel.Developer, await store.GetAccessLevelAsync(user.User.Id, "group/project"));

        var (missingCode, _, missingError) = await Kas("users", "list", "-c", _dir.Combine("missing.yaml"));
        Assert.Equal(1, missingCode);
        Assert.Contains("missing.yaml", missingError);
    }
}
