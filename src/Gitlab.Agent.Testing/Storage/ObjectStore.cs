using System.Text.Json.Nodes;
using System.Threading.Channels;
using Gitlab.Agent.Testing.Registry;

namespace Gitlab.Agent.Testing.Storage;

/// <summary>
/// In-memory object storage with one global, monotonically increasing resourceVersion, a bounded history of
/// changes for watches, and fan-out to watchers. Writers hold <see cref="Sync"/> while they read, decide and commit.
/// </summary>
internal sealed class ObjectStore
{
    private readonly Dictionary<string, SortedDictionary<string, StoredObject>> _data = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StoredObject> _byUid = new(StringComparer.Ordinal);

    /// <summary>The same objects per (storage key, namespace), same keys and order: namespaced lists do not scan other namespaces.</summary>
    private readonly Dictionary<(string StorageKey, string Namespace), SortedDictionary<string, StoredObject>> _byNamespace = new();
    private readonly WatchEvent?[] _history;
    private readonly Dictionary<string, List<Watcher>> _watchers = new(StringComparer.Ordinal);
    private readonly List<Watcher> _allWatchers = [];
    private int _historyStart;
    private int _historyCount;
    private long _compactedRv;
    private long _rv;

    public ObjectStore(int historySize)
    {
        _history = new WatchEvent?[Math.Max(1, historySize)];
    }

    /// <summary>The lock every read-modify-write holds.</summary>
    public Lock Sync { get; } = new();

    /// <summary>Raised (under the lock) after every commit.</summary>
    public event Action<WatchEvent>? Committed;

    public long CurrentResourceVersion
    {
        get
        {
            lock (Sync)
            {
                return _rv;
            }
        }
    }

    public long CurrentResourceVersionUnlocked => _rv;

    private static string Key(string ns, string name) => ns + "/" + name;

    public StoredObject? Get(string storageKey, string ns, string name)
    {
        lock (Sync)
        {
            return _data.TryGetValue(storageKey, out var bucket) && bucket.TryGetValue(Key(ns, name), out var obj) ? obj : null;
        }
    }

    public StoredObject? GetByUid(string uid)
    {
        lock (Sync)
        {
            return _byUid.GetValueOrDefault(uid);
        }
    }

    /// <summary>Objects of one resource (optionally one namespace), sorted by namespace/name, plus the RV of the snapshot.</summary>
    public (IReadOnlyList<StoredObject> Items, long ResourceVersion) List(string storageKey, string? ns, string? startAfter = null)
    {
        lock (Sync)
        {
            SortedDictionary<string, StoredObject>? bucket;
            if (!string.IsNullOrEmpty(ns) ? !_byNamespace.TryGetValue((storageKey, ns), out bucket) : !_data.TryGetValue(storageKey, out bucket))
            {
                return ([], _rv);
            }

            IEnumerable<StoredObject> items = bucket.Values;

            if (startAfter is not null)
            {
                items = items.Where(o => string.CompareOrdinal(Key(o.Namespace, o.Name), startAfter) > 0);
            }

            return (items.ToList(), _rv);
        }
    }

    /// <summary>Every object of every resource (for GC, namespace cleanup and persistence).</summary>
    public IReadOnlyList<StoredObject> Everything()
    {
        lock (Sync)
        {
            return _data.Values.SelectMany(b => b.Values).ToList();
        }
    }

    public IReadOnlyList<string> StorageKeys()
    {
        lock (Sync)
        {
            return _data.Where(p => p.Value.Count > 0).Select(p => p.Key).ToList();
        }
    }

    /// <summary>Stores a new state of an object (create or update). Caller holds <see cref="Sync"/>.</summary>
    public StoredObject Put(ResourceType type, JsonObject obj, StoredObject? previous)
    {
        var rv = _rv + 1;
        var stored = StoredObject.Create(type, obj, rv);
        _rv = rv;
        if (!_data.TryGetValue(type.StorageKey, out var bucket))
        {
            bucket = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
            _data[type.StorageKey] = bucket;
        }

        bucket[Key(stored.Namespace, stored.Name)] = stored;
        IndexByNamespace(stored);
        if (previous is not null && previous.Uid != stored.Uid)
        {
            _byUid.Remove(previous.Uid);
        }

        _byUid[stored.Uid] = stored;
        Publish(new WatchEvent(previous is null ? WatchEvent.Added : WatchEvent.Modified, stored, previous));
        return stored;
    }

    /// <summary>Removes an object; the DELETED event carries its last state with a new resourceVersion. Caller holds <see cref="Sync"/>.</summary>
    public StoredObject Remove(StoredObject current)
    {
        var rv = _rv + 1;
        var last = StoredObject.Create(current.Type, current.Clone(), rv);
        _rv = rv;
        if (_data.TryGetValue(current.StorageKey, out var bucket))
        {
            bucket.Remove(Key(current.Namespace, current.Name));
        }

        if (_byNamespace.TryGetValue((current.StorageKey, current.Namespace), out var nsBucket))
        {
            nsBucket.Remove(Key(current.Namespace, current.Name));
            if (nsBucket.Count == 0)
            {
                _byNamespace.Remove((current.StorageKey, current.Namespace));
            }
        }

        _byUid.Remove(current.Uid);
        Publish(new WatchEvent(WatchEvent.Deleted, last, current));
        return last;
    }

    /// <summary>Loads persisted objects without events (start-up only).</summary>
    public void Load(long rv, IEnumerable<(ResourceType Type, JsonObject Object)> objects)
    {
        lock (Sync)
        {
            foreach (var (type, obj) in objects)
            {
                var objRv = long.TryParse(obj["metadata"]?["resourceVersion"]?.GetValue<string>(), out var r) ? r : rv;
                var stored = StoredObject.Create(type, obj, objRv);
                if (!_data.TryGetValue(type.StorageKey, out var bucket))
                {
                    bucket = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
                    _data[type.StorageKey] = bucket;
                }

                bucket[Key(stored.Namespace, stored.Name)] = stored;
                IndexByNamespace(stored);
                _byUid[stored.Uid] = stored;
            }

            _rv = Math.Max(_rv, rv);
            _compactedRv = _rv;
        }
    }

    private void IndexByNamespace(StoredObject stored)
    {
        if (!_byNamespace.TryGetValue((stored.StorageKey, stored.Namespace), out var nsBucket))
        {
            nsBucket = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
            _byNamespace[(stored.StorageKey, stored.Namespace)] = nsBucket;
        }

        nsBucket[Key(stored.Namespace, stored.Name)] = stored;
    }

    private void Publish(WatchEvent evt)
    {
        if (_historyCount == _history.Length)
        {
            _compactedRv = _history[_historyStart]!.ResourceVersion;
            _history[_historyStart] = evt;
            _historyStart = (_historyStart + 1) % _history.Length;
        }
        else
        {
            _history[(_historyStart + _historyCount) % _history.Length] = evt;
            _historyCount++;
        }

        if (_watchers.TryGetValue(evt.Object.StorageKey, out var list))
        {
            foreach (var w in list)
            {
                w.Writer.TryWrite(evt);
            }
        }

        foreach (var w in _allWatchers)
        {
            w.Writer.TryWrite(evt);
        }

        Committed?.Invoke(evt);
    }

    /// <summary>
    /// Starts a watch. <paramref name="fromRv"/> null or 0 replays the current state as ADDED events; otherwise the
    /// retained events after it are replayed, or <see cref="WatchExpiredException"/> is thrown when they were compacted.
    /// </summary>
    public Watcher Watch(string? storageKey, long? fromRv)
    {
        var channel = Channel.CreateUnbounded<WatchEvent>(new UnboundedChannelOptions { SingleWriter = true });
        var watcher = new Watcher(this, storageKey, channel);
        lock (Sync)
        {
            if (fromRv is null or 0)
            {
                var objects = storageKey is null
                    ? _data.Values.SelectMany(b => b.Values)
                    : _data.TryGetValue(storageKey, out var bucket) ? bucket.Values : [];
                foreach (var obj in objects)
                {
                    channel.Writer.TryWrite(new WatchEvent(WatchEvent.Added, obj, null));
                }

                watcher.StartResourceVersion = _rv;
            }
            else
            {
                var from = fromRv.Value;
                if (from < _compactedRv)
                {
                    throw new WatchExpiredException(from, _compactedRv + 1);
                }

                for (var i = 0; i < _historyCount; i++)
                {
                    var evt = _history[(_historyStart + i) % _history.Length]!;
                    if (evt.ResourceVersion > from && (storageKey is null || evt.Object.StorageKey == storageKey))
                    {
                        channel.Writer.TryWrite(evt);
                    }
                }

                watcher.StartResourceVersion = Math.Max(from, 0);
            }

            if (storageKey is null)
            {
                _allWatchers.Add(watcher);
            }
            else
            {
                if (!_watchers.TryGetValue(storageKey, out var list))
                {
                    list = [];
                    _watchers[storageKey] = list;
                }

                list.Add(watcher);
            }
        }

        return watcher;
    }

    internal void Unwatch(Watcher watcher)
    {
        lock (Sync)
        {
            if (watcher.StorageKey is null)
            {
                _allWatchers.Remove(watcher);
            }
            else if (_watchers.TryGetValue(watcher.StorageKey, out var list))
            {
                list.Remove(watcher);
            }

            watcher.Writer.TryComplete();
        }
    }

    /// <summary>Drops all retained history (watches from any older resourceVersion then get 410 Expired).</summary>
    public void CompactHistory()
    {
        lock (Sync)
        {
            Array.Clear(_history);
            _historyStart = 0;
            _historyCount = 0;
            _compactedRv = _rv;
        }
    }

    /// <summary>Ends every open watch (server shutdown).</summary>
    public void CloseAllWatches()
    {
        lock (Sync)
        {
            foreach (var w in _watchers.Values.SelectMany(l => l).Concat(_allWatchers))
            {
                w.Writer.TryComplete();
            }
        }
    }
}

/// <summary>An open watch on the store.</summary>
internal sealed class Watcher : IDisposable
{
    private readonly ObjectStore _store;
    private readonly Channel<WatchEvent> _channel;

    public Watcher(ObjectStore store, string? storageKey, Channel<WatchEvent> channel)
    {
        _store = store;
        StorageKey = storageKey;
        _channel = channel;
    }

    public string? StorageKey { get; }

    public long StartResourceVersion { get; set; }

    public ChannelReader<WatchEvent> Reader => _channel.Reader;

    internal ChannelWriter<WatchEvent> Writer => _channel.Writer;

    public void Dispose() => _store.Unwatch(this);
}

/// <summary>The requested resourceVersion is older than the retained history.</summary>
internal sealed class WatchExpiredException(long requested, long oldest)
    : Exception($"too old resource version: {requested} ({oldest})")
{
    public long Requested { get; } = requested;

    public long Oldest { get; } = oldest;
}
