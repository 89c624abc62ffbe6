using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gitlab.Agent.TestUtilities.Git;

/// <summary>
/// A real <c>git daemon</c> serving every repository under <see cref="BaseDirectory"/> on 127.0.0.1 and a free port,
/// with push (receive-pack) enabled. Dispose stops it.
/// </summary>
public sealed class GitDaemon : IAsyncDisposable
{
    private readonly Process _process;

    private GitDaemon(Process process, string baseDirectory, int port)
    {
        _process = process;
        BaseDirectory = baseDirectory;
        Port = port;
    }

    /// <summary>Directory whose repositories are served (<c>--base-path</c>).</summary>
    public string BaseDirectory { get; }

    /// <summary>TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary><c>git://127.0.0.1:port/</c>.</summary>
    public Uri BaseUrl => new($"git://127.0.0.1:{Port}/");

    /// <summary>URL of <c>&lt;BaseDirectory&gt;/&lt;relativePath&gt;</c>, e.g. <c>Url("group/project.git")</c>.</summary>
    public string Url(string relativePath) => $"git://127.0.0.1:{Port}/{relativePath.TrimStart('/')}";

    /// <summary>Starts the daemon and waits (up to 30 s) until its port accepts connections.</summary>
    public static async Task<GitDaemon> StartAsync(string baseDirectory, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(baseDirectory);
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var psi = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "daemon", "--reuseaddr", "--base-path=" + baseDirectory, "--export-all", "--port=" + port, "--listen=127.0.0.1", "--enable=receive-pack", "--informative-errors", baseDirectory })
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
            psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
            var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start git daemon");
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            var daemon = new GitDaemon(process, baseDirectory, port);
            if (await daemon.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), cancellationToken))
            {
                return daemon;
            }

            await daemon.DisposeAsync();
            if (attempt == 2)
            {
                throw new InvalidOperationException($"git daemon did not start listening on 127.0.0.1:{port}");
            }
        }
    }

    private async Task<bool> WaitUntilListeningAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                return false;
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(50, cancellationToken);
            }
        }

        return false;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
