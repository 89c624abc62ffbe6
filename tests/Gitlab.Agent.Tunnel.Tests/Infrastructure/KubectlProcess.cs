using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gitlab.Agent.Tunnel.Tests.Infrastructure;

/// <summary>A long-running kubectl (<c>get -w</c>, <c>logs -f</c>) whose output lines are collected as they arrive.</summary>
public sealed class KubectlProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly SemaphoreSlim _signal = new(0);

    public KubectlProcess(string kubeconfig, params string[] args)
    {
        _process = Kubectl.Start(kubeconfig, args);
        _process.StandardInput.Close();
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _lines.Enqueue(e.Data);
                _signal.Release();
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _errors.Enqueue(e.Data);
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public IReadOnlyCollection<string> Lines => _lines;

    public string Stderr => string.Join('\n', _errors);

    public async Task WaitForLineAsync(Func<string, bool> predicate, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!_lines.Any(predicate))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"kubectl printed no line for: {what}\nstdout:\n{string.Join('\n', _lines)}\nstderr:\n{Stderr}");
            }

            await _signal.WaitAsync(left < TimeSpan.FromMilliseconds(500) ? left : TimeSpan.FromMilliseconds(500));
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        _signal.Dispose();
    }
}
