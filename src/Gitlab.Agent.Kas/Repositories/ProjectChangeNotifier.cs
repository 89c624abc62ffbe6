using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Gitlab.Agent.Kas.Repositories;

/// <summary>
/// In-memory fan-out of project changes to every watcher in this process. Each watcher has its own queue that holds a
/// project at most once, so a slow reader still sees every changed project (latest state) and memory stays bounded.
/// </summary>
internal sealed class ProjectChangeNotifier : IProjectChangeNotifier
{
    private readonly Lock _gate = new();
    private Subscriber[] _subscribers = [];

    public void NotifyChanged(string projectPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(projectPath);
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Post(projectPath);
        }
    }

    public async IAsyncEnumerable<string> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var subscriber = Subscribe(null);
        while (true)
        {
            yield return await subscriber.ReadAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Starts watching at once (unlike <see cref="WatchAsync"/>, which starts on the first <c>MoveNextAsync</c>) changes of
    /// <paramref name="projectPath"/>, or of every project when <see langword="null"/>. Dispose to stop.
    /// </summary>
    public Subscriber Subscribe(string? projectPath)
    {
        var subscriber = new Subscriber(this, projectPath);
        lock (_gate)
        {
            _subscribers = [.. _subscribers, subscriber];
        }

        return subscriber;
    }

    private void Remove(Subscriber subscriber)
    {
        lock (_gate)
        {
            _subscribers = [.. _subscribers.Where(s => s != subscriber)];
        }
    }

    /// <summary>One watcher's queue of changed projects (each project queued at most once).</summary>
    internal sealed class Subscriber : IDisposable
    {
        private readonly ProjectChangeNotifier _owner;
        private readonly string? _filter;
        private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
        private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

        public Subscriber(ProjectChangeNotifier owner, string? filter)
        {
            _owner = owner;
            _filter = filter;
        }

        public void Post(string projectPath)
        {
            if (_filter is not null && !string.Equals(_filter, projectPath, StringComparison.Ordinal))
            {
                return;
            }

            lock (_pending)
            {
                if (_pending.Add(projectPath))
                {
                    _queue.Writer.TryWrite(projectPath);
                }
            }
        }

        /// <summary>Waits for the next changed project.</summary>
        public async ValueTask<string> ReadAsync(CancellationToken cancellationToken)
        {
            var project = await _queue.Reader.ReadAsync(cancellationToken);
            lock (_pending)
            {
                _pending.Remove(project);
            }

            return project;
        }

        /// <summary>Waits until a change arrives (returns <see langword="true"/>) or <paramref name="timeout"/> passes.</summary>
        public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            try
            {
                await ReadAsync(cts.Token);
                return true;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }

        public void Dispose()
        {
            _owner.Remove(this);
            _queue.Writer.TryComplete();
        }
    }
}
