using System.CommandLine;
using Gitlab.Agent.Kas.Users;
using System.Globalization;
using Gitlab.Agent.Config;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Protocol.KasCfg;

namespace Gitlab.Agent.Kas;

/// <summary>
/// The <c>kas</c> command line:
/// <list type="bullet">
/// <item><c>kas [serve] [--configuration-file kas.yaml]</c> — runs KAS (the default command);</item>
/// <item><c>kas agents create --project group/proj --name my-agent</c>, <c>kas agents list [--project p]</c>, <c>kas agents delete --agent-id N</c>;</item>
/// <item><c>kas tokens create --agent-id N --name t1 [--description d]</c> (prints the secret once), <c>kas tokens list --agent-id N</c>, <c>kas tokens revoke --token-id N</c>;</item>
/// <item><c>kas --version</c>.</item>
/// </list>
/// Registry commands work on the registry of the configuration file, also while KAS is running. Errors are printed as
/// <c>error: …</c> lines and give exit code 1.
/// </summary>
/// <example>
/// <code>
/// return await KasCommandLine.InvokeAsync(args, async (configuration, ct) =>
/// {
///     var builder = WebApplication.CreateBuilder();
///     builder.Services.AddKas(o => o.Configuration = configuration);
///     await using var app = builder.Build();
///     app.MapKas();
///     return await app.RunKasAsync(ct);
/// });
/// </code>
/// </example>
public static class KasCommandLine
{
    /// <summary>The configuration file used when <c>--configuration-file</c> is not given.</summary>
    public const string DefaultConfigurationFile = "kas.yaml";

    private static readonly string[] AgentColumns = ["ID", "PROJECT", "NAME", "STATUS", "LAST CONTACT", "VERSION", "CONFIG COMMIT", "CONFIG ERROR"];
    private static readonly string[] TokenColumns = ["ID", "NAME", "STATUS", "CREATED", "LAST USED", "DESCRIPTION"];

    /// <summary>
    /// Parses <paramref name="args"/> and runs the command. <paramref name="serve"/> runs KAS with the loaded configuration
    /// (defaults applied, validated) and returns the exit code. Output goes to <paramref name="output"/> and
    /// <paramref name="error"/> (the console by default).
    /// </summary>
    public static async Task<int> InvokeAsync(
        IReadOnlyList<string> args,
        Func<ConfigurationFile, CancellationToken, Task<int>> serve,
        TextWriter? output = null,
        TextWriter? error = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(serve);
        output ??= Console.Out;
        error ??= Console.Error;

        var configFile = new Option<string>("--configuration-file", "-c")
        {
            Description = $"KAS configuration file (default: {DefaultConfigurationFile}; built-in defaults when that file does not exist)",
            HelpName = "file",
            Recursive = true,
        };
        var version = new Option<bool>("--version") { Description = "Print the KAS version and exit" };

        var root = new RootCommand("kas: the Kubernetes Agent Server of the Gitlab.Agent SDK. Without a command it runs 'serve'.");
        foreach (var builtIn in root.Options.OfType<VersionOption>().ToList())
        {
            root.Options.Remove(builtIn);
        }

        root.Options.Add(configFile);
        root.Options.Add(version);

        async Task<int> Serve(ParseResult result, CancellationToken ct)
        {
            var configuration = LoadConfiguration(result.GetValue(configFile));
            return await serve(configuration, ct);
        }

        root.SetAction((result, ct) => result.GetValue(version) ? PrintVersion() : Run(ct2 => Serve(result, ct2), ct));
        var serveCommand = new Command("serve", "Run KAS: agent, api and observability listeners.");
        serveCommand.SetAction((result, ct) => Run(ct2 => Serve(result, ct2), ct));
        root.Subcommands.Add(serveCommand);
        root.Subcommands.Add(AgentsCommand(configFile, output, error));
        var tokens = TokensCommand(configFile, output, error);
        root.Subcommands.Add(tokens);

        // Users and personal access tokens (Cli/KasUserCommands.cs), on the same registry database.
        IUserStore OpenUsers(ParseResult result) =>
            new SqliteUserStore(new SqliteUserStoreOptions(RegistryPath(LoadConfiguration(result.GetValue(configFile)))), TimeProvider.System);
        root.Subcommands.Add(KasUserCommands.CreateUsersCommand(OpenUsers));
        tokens.Subcommands.Add(KasUserCommands.CreatePersonalTokenCommand(OpenUsers));

        var parsed = root.Parse(args);
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);

        async Task<int> PrintVersion()
        {
            await output.WriteLineAsync($"kas version: {KasVersion.Current}");
            return 0;
        }

        async Task<int> Run(Func<CancellationToken, Task<int>> action, CancellationToken ct)
        {
            try
            {
                return await action(ct);
            }
            catch (Exception ex) when (ex is ConfigurationException or AgentRegistryException or InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException or IOException)
            {
                foreach (var line in ex.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    await error.WriteLineAsync("error: " + line.TrimEnd());
                }

                return 1;
            }
        }
    }

    /// <summary>Loads <paramref name="path"/> (defaults applied, validated); without a path, <c>kas.yaml</c> when it exists, else the built-in defaults.</summary>
    internal static ConfigurationFile LoadConfiguration(string? path)
    {
        if (path is null && !File.Exists(DefaultConfigurationFile))
        {
            var configuration = new ConfigurationFile();
            KasConfigurationFile.ApplyDefaults(configuration, Directory.GetCurrentDirectory());
            var errors = KasConfigurationFile.Validate(configuration);
            return errors.Count == 0 ? configuration : throw new InvalidOperationException(string.Join('\n', errors));
        }

        return KasConfigurationFile.Load(path ?? DefaultConfigurationFile);
    }

    private static Command AgentsCommand(Option<string> configFile, TextWriter output, TextWriter error)
    {
        var agents = new Command("agents", "Manage agents in the registry.");

        var project = new Option<string>("--project") { Description = "Configuration project path, e.g. group/project", HelpName = "path", Required = true };
        var name = new Option<string>("--name") { Description = "Agent name (lowercase letters, digits, '-')", HelpName = "name", Required = true };
        var create = new Command("create", "Register an agent in a project (the project is created on first use).") { project, name };
        create.SetAction((r, ct) => RegistryAction(r, configFile, error, async registry =>
        {
            var agent = await registry.CreateAgentAsync(r.GetValue(project)!, r.GetValue(name)!, ct);
            await output.WriteLineAsync($"Created agent {agent.Name} (id {agent.Id}) in project {agent.ProjectPath}; its configuration file is .gitlab/agents/{agent.Name}/config.yaml");
        }));

        var listProject = new Option<string?>("--project") { Description = "Only agents of this project", HelpName = "path" };
        var list = new Command("list", "List agents with their connection status.") { listProject };
        list.SetAction((r, ct) => RegistryAction(r, configFile, error, async registry =>
        {
            var rows = new List<string[]> { AgentColumns };
            var connections = (await registry.ListConnectionsAsync(null, true, ct)).ToLookup(c => c.AgentId);
            foreach (var agent in await registry.ListAgentsAsync(r.GetValue(listProject), ct))
            {
                var open = connections[agent.Id].OrderByDescending(c => c.LastSeenAt).FirstOrDefault();
                var everSeen = open ?? (await registry.ListConnectionsAsync(agent.Id, false, ct)).OrderByDescending(c => c.LastSeenAt).FirstOrDefault();
                rows.Add(
                [
                    agent.Id.ToString(CultureInfo.InvariantCulture), agent.ProjectPath, agent.Name,
                    open is not null ? "connected" : everSeen is not null ? "not connected" : "never connected",
                    everSeen?.LastSeenAt.ToString("u", CultureInfo.InvariantCulture) ?? "-",
                    everSeen?.Version is { Length: > 0 } v ? v : "-",
                    agent.LastConfigurationCommit is { } c ? c[..Math.Min(12, c.Length)] : "-",
                    agent.LastConfigurationError is { } e ? e.Split('\n')[0] : "-",
                ]);
            }

            await WriteTableAsync(output, rows);
        }));

        var agentId = new Option<long>("--agent-id") { Description = "Agent id", HelpName = "id", Required = true };
        var delete = new Command("delete", "Delete an agent with its tokens.") { agentId };
        delete.SetAction((r, ct) => RegistryAction(r, configFile, error, async registry =>
        {
            await registry.DeleteAgentAsync(r.GetValue(agentId), ct);
            await output.WriteLineAsync($"Deleted agent {r.GetValue(agentId)}");
        }));

        agents.Subcommands.Add(create);
        agents.Subcommands.Add(list);
        agents.Subcommands.Add(delete);
        return agents;
    }

    private static Command TokensCommand(Option<string> configFile, TextWriter output, TextWriter error)
    {
        var tokens = new Command("tokens", "Manage agent tokens.");
        var agentId = new Option<long>("--agent-id") { Description = "Agent id", HelpName = "id", Required = true };
        var name = new Option<string>("--name") { Description = "Token name", HelpName = "name", Required = true };
        var description = new Option<string?>("--description") { Description = "Token description", HelpName = "text" };
        var create = new Command("create", "Create a token; the secret is printed once (on standard output) and never stored.") { agentId, name, description };
        create.SetAction((r, ct) => RegistryAction(r, configFile, error, async registry =>
        {
            var token = await registry.CreateTokenAsync(r.GetValue(agentId), r.GetValue(name)!, r.GetValue(description), ct);
            await error.WriteLineAsync($"Created token {token.Token.Name} (id {token.Token.Id}) for agent {token.Token.AgentId}. Store the secret now; it is not shown again:");
            await output.WriteLineAsync(token.Secret);
        }));

        var listAgent = new Option<long>("--agent-id") { Description = "Agent id", HelpName = "id", Required = true };
        var list = new Command("list", "List an agent's tokens.") { listAgent };
        list.SetAction((r, ct) => RegistryAction(r, configFile, error, async registry =>
        {
            var rows = new List<string[]> { TokenColumns };
            foreach (var t in await registry.ListTokensAsync(r.GetValue(listAgent), ct))
            {
                rows.Add(
                [
                    t.Id.ToString(CultureInfo.InvariantCulture), t.Name, t.IsActive ? "active" : "revoked",
                    t.CreatedAt.ToString("u", CultureInfo.InvariantCulture), t.LastUsedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-", t.Description ?? "",
                ]);
            }

            await WriteTableAsync(output, rows);
        }));

        var tokenId = new Option<long>("--token-id") { Description = "Token id", HelpName = "id", Required = true };
        var revoke = new Command("revoke", "Revoke a token: the agent's next call or configuration poll with it fails.") { tokenId };
        revoke.SetAction((r, ct) => RegistryAction(r, configFile, error, async registry =>
        {
            await registry.RevokeTokenAsync(r.GetValue(tokenId), ct);
            await output.WriteLineAsync($"Revoked token {r.GetValue(tokenId)}");
        }));

        tokens.Subcommands.Add(create);
        tokens.Subcommands.Add(list);
        tokens.Subcommands.Add(revoke);
        return tokens;
    }

    private static async Task<int> RegistryAction(ParseResult result, Option<string> configFile, TextWriter error, Func<IAgentRegistry, Task> action)
    {
        try
        {
            var configuration = LoadConfiguration(result.GetValue(configFile));
            var registry = new SqliteAgentRegistry(new SqliteAgentRegistryOptions(RegistryPath(configuration)), TimeProvider.System);
            await action(registry);
            return 0;
        }
        catch (Exception ex) when (ex is ConfigurationException or AgentRegistryException or InvalidOperationException or IOException or Microsoft.Data.Sqlite.SqliteException)
        {
            foreach (var line in ex.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                await error.WriteLineAsync("error: " + line.TrimEnd());
            }

            return 1;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }

    private static string RegistryPath(ConfigurationFile configuration) =>
        configuration.Registry.StoreCase == RegistryCF.StoreOneofCase.Sqlite
            ? configuration.Registry.Sqlite.Path
            : throw new InvalidOperationException("registry: only the sqlite registry is available in this build");

    private static async Task WriteTableAsync(TextWriter output, List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
        {
            await output.WriteLineAsync(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }
    }
}
