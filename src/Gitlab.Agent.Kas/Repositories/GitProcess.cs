using System.Diagnostics;

namespace Gitlab.Agent.Kas.Repositories;

/// <summary>Runs the git command line (used where it is faster than libgit2, e.g. fetching from a local path).</summary>
internal static class GitProcess
{
    public static async Task<string> RunAsync(string workingDirectory, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("protocol.file.allow=always");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        using var process = Process.Start(psi) ?? throw new RepositoryException("cannot start git");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw new RepositoryException($"git {args[0]} failed (exit code {process.ExitCode}): {(await stderr).Trim()}");
        }

        return await stdout;
    }
}
