using System.Diagnostics;
using System.Text;

namespace Gitlab.Agent.TestUtilities.Git;

/// <summary>Runs the git command line with a neutral configuration (no user/system config, fixed identity).</summary>
public static class GitCli
{
    /// <summary>Runs <c>git args</c> in <paramref name="workingDirectory"/> and returns its trimmed standard output; throws with stderr on failure.</summary>
    public static async Task<string> RunAsync(string workingDirectory, IEnumerable<string> args, CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always" })
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start git");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = await stdout;
        if (process.ExitCode != 0)
        {
            var sb = new StringBuilder().Append("git ").AppendJoin(' ', psi.ArgumentList).Append(" failed with exit code ").Append(process.ExitCode).Append(": ").Append(await stderr);
            throw new InvalidOperationException(sb.ToString());
        }

        return output.Trim();
    }

    /// <summary>Runs <c>git args</c> in <paramref name="workingDirectory"/>.</summary>
    public static Task<string> RunAsync(string workingDirectory, params string[] args) => RunAsync(workingDirectory, (IEnumerable<string>)args);
}
