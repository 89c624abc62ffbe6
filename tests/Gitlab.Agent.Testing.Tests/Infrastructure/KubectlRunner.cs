using System.Diagnostics;
using System.Text;

namespace Gitlab.Agent.Testing.Tests.Infrastructure;

/// <summary>Runs the real kubectl against a test server with a fresh HOME and cache directory.</summary>
public sealed class KubectlRunner : IDisposable
{
    private readonly string _home;

    public KubectlRunner(string kubeconfigPath, string kubectl = "/usr/bin/kubectl")
    {
        KubeconfigPath = kubeconfigPath;
        Kubectl = kubectl;
        _home = Directory.CreateTempSubdirectory("kubectl-home-").FullName;
        CacheDir = Path.Combine(_home, "cache");
    }

    public string KubeconfigPath { get; }

    public string Kubectl { get; }

    public string CacheDir { get; }

    public string Home => _home;

    /// <summary>Writes a manifest file into the runner's temp directory and returns its path.</summary>
    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(_home, name);
        File.WriteAllText(path, content);
        return path;
    }

    public Task<KubectlResult> RunAsync(params string[] args) => RunAsync(args, null, TimeSpan.FromSeconds(60));

    public async Task<KubectlResult> RunAsync(IReadOnlyList<string> args, string? stdin, TimeSpan timeout, Func<string, bool>? stdoutLine = null)
    {
        var psi = new ProcessStartInfo(Kubectl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(KubeconfigPath);
        psi.ArgumentList.Add("--cache-dir");
        psi.ArgumentList.Add(CacheDir);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HOME"] = _home;
        psi.Environment["KUBECONFIG"] = KubeconfigPath;
        psi.Environment.Remove("KUBERNETES_SERVICE_HOST");
        using var process = new Process { StartInfo = psi };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var outDone = new TaskCompletionSource();
        var errDone = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                outDone.TrySetResult();
                return;
            }

            lock (stdout)
            {
                stdout.Append(e.Data).Append('\n');
            }

            stdoutLine?.Invoke(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                errDone.TrySetResult();
                return;
            }

            lock (stderr)
            {
                stderr.Append(e.Data).Append('\n');
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"kubectl {string.Join(" ", args)} did not finish within {timeout}. stdout: {stdout} stderr: {stderr}");
        }

        await Task.WhenAll(outDone.Task, errDone.Task).WaitAsync(TimeSpan.FromSeconds(10));
        return new KubectlResult(process.ExitCode, stdout.ToString(), stderr.ToString(), args);
    }

    /// <summary>Starts kubectl without waiting (for -w); dispose the handle to kill it.</summary>
    public RunningKubectl Start(params string[] args)
    {
        var psi = new ProcessStartInfo(Kubectl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(KubeconfigPath);
        psi.ArgumentList.Add("--cache-dir");
        psi.ArgumentList.Add(CacheDir);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HOME"] = _home;
        return new RunningKubectl(Process.Start(psi)!);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed record KubectlResult(int ExitCode, string Stdout, string Stderr, IReadOnlyList<string> Args)
{
    public KubectlResult ShouldSucceed()
    {
        if (ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"kubectl {string.Join(" ", Args)} exited {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        return this;
    }

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>A kubectl process running in the background; lines of stdout are collected.</summary>
public sealed class RunningKubectl : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _stderr = new();

    public RunningKubectl(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_lines)
                {
                    _lines.Add(e.Data);
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return _lines.ToList();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public async Task WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Lines.Any(predicate))
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no matching line within {timeout}. Lines:\n{string.Join("\n", Lines)}\nstderr:\n{Stderr}");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }
}
