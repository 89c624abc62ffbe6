using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace Gitlab.Agent.Testing.Bench;

/// <summary>
/// HTTPS clients in a separate process (this program started with <c>--client</c>), so the server process's own CPU
/// time and allocations per write can be measured without the clients' share.
/// </summary>
internal static class ClientProcess
{
    /// <summary>Server side: runs <paramref name="operation"/> (creates or updates) from a child process.</summary>
    public static async Task<Rate> RunAsync(KubernetesApiServer cluster, string operation, int concurrency, TimeSpan duration, bool http2)
    {
        var ns = operation == "updates" ? Scenarios.NamespaceForUpdates(cluster, concurrency) : Scenarios.Namespace(cluster);
        var caFile = Path.Combine(Path.GetTempPath(), $"bench-ca-{Environment.ProcessId}.pem");
        await File.WriteAllTextAsync(caFile, cluster.CaCertificate.ExportCertificatePem());
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            typeof(ClientProcess).Assembly.Location, "--client", operation, "--url", cluster.BaseAddress.ToString(), "--ca", caFile,
            "--token", cluster.AdminToken, "--namespace", ns, "--concurrency", concurrency.ToString(CultureInfo.InvariantCulture),
            "--seconds", duration.TotalSeconds.ToString(CultureInfo.InvariantCulture), "--http", http2 ? "2" : "1",
        })
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException("cannot start the client process");
        try
        {
            await ExpectAsync(child, "ready");
            var meter = Meter.Start();
            await child.StandardInput.WriteLineAsync("go");
            await child.StandardInput.FlushAsync();
            var done = await ExpectAsync(child, "done");
            var parts = done.Split(' ');
            var count = int.Parse(parts[1], CultureInfo.InvariantCulture);
            var seconds = double.Parse(parts[2], CultureInfo.InvariantCulture);
            var server = meter.Stop(count);
            await child.WaitForExitAsync();
            return server with { PerSecond = count / seconds };
        }
        finally
        {
            File.Delete(caFile);
            if (!child.HasExited)
            {
                child.Kill();
            }
        }
    }

    private static async Task<string> ExpectAsync(Process child, string word)
    {
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(word, StringComparison.Ordinal))
            {
                return line;
            }
        }

        throw new InvalidOperationException($"the client process ended before \"{word}\" (exit code {(child.HasExited ? child.ExitCode : -1)})");
    }

    /// <summary>Client side: <c>--client creates|updates --url U --ca FILE --token T --namespace NS --concurrency N --seconds S --http 1|2</c>.</summary>
    public static async Task<int> ClientMainAsync(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i]] = args[i + 1];
        }

        var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(options["--ca"]));
        using var http = Scenarios.Client(new Uri(options["--url"]), ca, options["--token"], options["--http"] == "2");
        var ns = options["--namespace"];
        var concurrency = int.Parse(options["--concurrency"], CultureInfo.InvariantCulture);
        var duration = TimeSpan.FromSeconds(double.Parse(options["--seconds"], CultureInfo.InvariantCulture));
        var operation = options["--client"] == "updates" ? Scenarios.UpdateOperation(http, ns) : Scenarios.CreateOperation(http, ns);

        // Warm-up (JIT, connections), then wait for the server side to start measuring.
        await Scenarios.WarmUpAsync(http, ns);
        await Scenarios.RunConcurrentAsync(TimeSpan.FromSeconds(1), concurrency, (w, i) => operation(w, -i));
        Console.WriteLine("ready");
        await Console.In.ReadLineAsync();
        var rate = await Scenarios.RunConcurrentAsync(duration, concurrency, operation);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done {rate.Count} {rate.Count / rate.PerSecond}"));
        return 0;
    }
}
