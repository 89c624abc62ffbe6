using System.CommandLine;
using Gitlab.Agent.Kas.Users;

namespace Gitlab.Agent.Kas;

/// <summary>
/// <c>kas</c> CLI subcommands for users and personal access tokens, working directly on the registry database (safe
/// while KAS runs):
/// <c>users create --username u</c>, <c>users add-member --username u --project p|--group g --role maintainer</c>,
/// <c>users remove-member …</c>, <c>users list</c>, and <c>create-personal --username u --scopes api,k8s_proxy</c>
/// (meant to be added under <c>tokens</c>). Failures print a message to the error writer and exit with 1.
/// </summary>
public static class KasUserCommands
{
    /// <summary>The <c>users</c> command. <paramref name="openStore"/> opens the store for the parsed command line.</summary>
    public static Command CreateUsersCommand(Func<ParseResult, IUserStore> openStore)
    {
        ArgumentNullException.ThrowIfNull(openStore);
        var users = new Command("users", "Manage users and their project/group memberships");

        var createUsername = UsernameOption();
        var create = new Command("create", "Create a user") { createUsername };
        create.SetAction((pr, ct) => RunAsync(pr, async output =>
        {
            var user = await openStore(pr).CreateUserAsync(pr.GetValue(createUsername)!, ct);
            await output.WriteLineAsync($"created user '{user.Username}' (id {user.Id})");
        }));
        users.Subcommands.Add(create);

        var (addUsername, addProject, addGroup) = (UsernameOption(), ProjectOption(), GroupOption());
        var role = new Option<string>("--role") { Description = "guest, reporter, developer, maintainer or owner", Required = true, HelpName = "role" };
        var addMember = new Command("add-member", "Give a user a role on a project or a group (inherited by everything below the group)")
        {
            addUsername, addProject, addGroup, role,
        };
        addMember.Validators.Add(result => ValidateTarget(result, addProject, addGroup));
        role.Validators.Add(result =>
        {
            if (!TryParseRole(result.GetValueOrDefault<string>(), out _))
            {
                result.AddError($"--role '{result.GetValueOrDefault<string>()}' is invalid: use guest, reporter, developer, maintainer or owner.");
            }
        });
        addMember.SetAction((pr, ct) => RunAsync(pr, async output =>
        {
            _ = TryParseRole(pr.GetValue(role), out var level);
            var target = Target(pr, addProject, addGroup);
            await openStore(pr).SetMembershipAsync(pr.GetValue(addUsername)!, target, level, ct);
            await output.WriteLineAsync($"user '{pr.GetValue(addUsername)}' is {level.ToString().ToLowerInvariant()} of {target}");
        }));
        users.Subcommands.Add(addMember);

        var (removeUsername, removeProject, removeGroup) = (UsernameOption(), ProjectOption(), GroupOption());
        var removeMember = new Command("remove-member", "Remove a user's membership on a project or group") { removeUsername, removeProject, removeGroup };
        removeMember.Validators.Add(result => ValidateTarget(result, removeProject, removeGroup));
        removeMember.SetAction((pr, ct) => RunAsync(pr, async output =>
        {
            var target = Target(pr, removeProject, removeGroup);
            await openStore(pr).RemoveMembershipAsync(pr.GetValue(removeUsername)!, target, ct);
            await output.WriteLineAsync($"user '{pr.GetValue(removeUsername)}' is no longer a direct member of {target}");
        }));
        users.Subcommands.Add(removeMember);

        var list = new Command("list", "List users with their memberships and tokens");
        list.SetAction((pr, ct) => RunAsync(pr, async output =>
        {
            var store = openStore(pr);
            foreach (var user in await store.ListUsersAsync(ct))
            {
                await output.WriteLineAsync($"{user.Id}\t{user.Username}");
                foreach (var m in await store.ListMembershipsAsync(user.Id, ct))
                {
                    await output.WriteLineAsync($"\t{m.AccessLevel.ToString().ToLowerInvariant()} of {m.Target}");
                }

                foreach (var t in await store.ListPersonalAccessTokensAsync(user.Id, ct))
                {
                    var state = t.RevokedAt is not null ? "revoked" : t.ExpiresAt is { } e && e <= DateTimeOffset.UtcNow ? "expired" : "active";
                    await output.WriteLineAsync($"\ttoken {t.Id} '{t.Name}' [{string.Join(',', t.Scopes)}] {state}, last used {t.LastUsedAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "never"}");
                }
            }
        }));
        users.Subcommands.Add(list);
        return users;
    }

    /// <summary>
    /// The <c>create-personal</c> command (add it under <c>tokens</c>): prints only the new <c>glpat-…</c> secret to the
    /// output so scripts can capture it; the description goes to the error writer.
    /// </summary>
    public static Command CreatePersonalTokenCommand(Func<ParseResult, IUserStore> openStore)
    {
        ArgumentNullException.ThrowIfNull(openStore);
        var username = UsernameOption();
        var scopes = new Option<string>("--scopes")
        {
            Description = $"Comma-separated scopes: {string.Join(", ", PersonalAccessTokenScopes.All)}",
            Required = true,
            HelpName = "scopes",
        };
        var name = new Option<string>("--name") { Description = "Token name", DefaultValueFactory = _ => "cli", HelpName = "name" };
        var expiresAt = new Option<DateTimeOffset?>("--expires-at") { Description = "Expiry (ISO 8601); default: never", HelpName = "time" };
        var command = new Command("create-personal", "Create a personal access token for a user (the secret is printed once)")
        {
            username, scopes, name, expiresAt,
        };
        command.SetAction((pr, ct) => RunAsync(pr, async output =>
        {
            var scopeList = pr.GetValue(scopes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var created = await openStore(pr).CreatePersonalAccessTokenAsync(pr.GetValue(username)!, pr.GetValue(name)!, scopeList, pr.GetValue(expiresAt), ct);
            await pr.InvocationConfiguration.Error.WriteLineAsync(
                $"created personal access token {created.Token.Id} '{created.Token.Name}' for user '{pr.GetValue(username)}' with scopes {string.Join(',', created.Token.Scopes)}; it is shown only once:");
            await output.WriteLineAsync(created.Secret);
        }));
        return command;
    }

    internal static bool TryParseRole(string? text, out AccessLevel level)
    {
        level = AccessLevel.None;
        return !string.IsNullOrEmpty(text)
            && Enum.TryParse(text, ignoreCase: true, out level)
            && level != AccessLevel.None
            && Enum.IsDefined(level)
            && !char.IsAsciiDigit(text[0]);
    }

    private static Option<string> UsernameOption() => new("--username") { Description = "Username", Required = true, HelpName = "username" };

    private static Option<string?> ProjectOption() => new("--project") { Description = "Project path, e.g. group/project", HelpName = "path" };

    private static Option<string?> GroupOption() => new("--group") { Description = "Group path, e.g. group or group/sub", HelpName = "path" };

    private static void ValidateTarget(System.CommandLine.Parsing.CommandResult result, Option<string?> project, Option<string?> group)
    {
        var hasProject = result.GetValue(project) is not null;
        var hasGroup = result.GetValue(group) is not null;
        if (hasProject == hasGroup)
        {
            result.AddError("Give exactly one of --project or --group.");
        }
    }

    private static MembershipTarget Target(ParseResult pr, Option<string?> project, Option<string?> group) =>
        pr.GetValue(project) is { } p ? MembershipTarget.Project(p) : MembershipTarget.Group(pr.GetValue(group)!);

    private static async Task<int> RunAsync(ParseResult pr, Func<TextWriter, Task> action)
    {
        try
        {
            await action(pr.InvocationConfiguration.Output);
            return 0;
        }
        catch (Exception ex) when (ex is UserStoreException or Config.ConfigurationException or InvalidOperationException or IOException or Microsoft.Data.Sqlite.SqliteException)
        {
            foreach (var line in ex.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                await pr.InvocationConfiguration.Error.WriteLineAsync("error: " + line.TrimEnd());
            }

            return 1;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }
}
