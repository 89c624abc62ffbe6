using System.Text;

namespace Gitlab.Agent.Tunnel.Bench;

/// <summary>One watch request held open; counts <c>ADDED</c> events and notices when the stream ends early.</summary>
internal sealed class Watcher : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _run;
    private int _events;

    public Watcher(HttpClient client, string path) => _run = RunAsync(client, path);

    /// <summary>Completes when the response headers arrived (faults when the watch could not start).</summary>
    public Task Started => _started.Task;

    public int Events => Volatile.Read(ref _events);

    /// <summary>Why the watch ended before it was stopped, or <see langword="null"/> while it is open.</summary>
    public string? EndedBecause { get; private set; }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    public Task StopAsync()
    {
        _stop.Cancel();
        return _run;
    }

    private async Task RunAsync(HttpClient client, string path)
    {
        try
        {
            using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"watch {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(_stop.Token)}");
            }

            _started.TrySetResult();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token), Encoding.UTF8);
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Contains("\"ADDED\"", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _events);
                }
            }

            EndedBecause = "the server ended the watch";
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            EndedBecause = e.Message;
            _started.TrySetException(e);
        }
    }
}
