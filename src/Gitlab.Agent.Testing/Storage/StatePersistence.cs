using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Api;
using Gitlab.Agent.Testing.Controllers;
using Gitlab.Agent.Testing.Storage;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Testing.Storage;

/// <summary>Saves all objects to a JSON file (debounced, and at stop) and restores them at start.</summary>
internal sealed partial class StatePersistence : IAsyncDisposable
{
    private readonly ApiServerCore _core;
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _dirty;
    private Task? _loop;

    public StatePersistence(ApiServerCore core, string path, ILogger logger)
    {
        _core = core;
        _path = Path.GetFullPath(path);
        _logger = logger;
    }

    /// <summary>Loads the file if it exists; returns false when there was nothing to load.</summary>
    public bool Load()
    {
        if (!File.Exists(_path))
        {
            return false;
        }

        JsonObject doc;
        try
        {
            doc = JsonNode.Parse(File.ReadAllBytes(_path)) as JsonObject ?? throw new InvalidDataException("the top level is not an object");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"Cannot load the API server state from '{_path}': {e.Message}", e);
        }

        var rv = long.Parse(doc["resourceVersion"]?.GetValue<string>() ?? "0", CultureInfo.InvariantCulture);
        var entries = (doc["objects"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];

        // CRDs first so their resources are served before their instances load.
        foreach (var e in entries.Where(e => e["storageKey"]?.GetValue<string>() == CrdRegistrar.CrdStorageKey))
        {
            if (e["object"] is JsonObject crd)
            {
                _core.Registry.ReplaceCustom(CrdRegistrar.StorageKeyOf(crd), CrdRegistrar.TypesOf(crd));
            }
        }

        var objects = new List<(Registry.ResourceType, JsonObject)>();
        foreach (var e in entries)
        {
            var key = e["storageKey"]?.GetValue<string>();
            var type = key is null ? null : _core.Registry.FindByStorageKey(key);
            if (type is null || e["object"] is not JsonObject obj)
            {
                LogSkipped(_logger, key ?? "<none>");
                continue;
            }

            objects.Add((type, (JsonObject)obj.DeepClone()));
        }

        _core.Store.Load(rv, objects);
        return true;
    }

    public void Start()
    {
        _core.Changed += () => _dirty = true;
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                if (_dirty)
                {
                    Save();
                }
            }
        });
    }

    public void Save()
    {
        _dirty = false;
        var objects = new JsonArray();
        long rv;
        lock (_core.Store.Sync)
        {
            rv = _core.Store.CurrentResourceVersionUnlocked;
            foreach (var o in _core.Store.Everything())
            {
                objects.Add(new JsonObject { ["storageKey"] = o.StorageKey, ["object"] = JsonNode.Parse(o.Json) });
            }
        }

        var doc = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture), ["objects"] = objects };
        var dir = Path.GetDirectoryName(_path)!;
        Directory.CreateDirectory(dir);
        var temp = _path + ".tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(doc, JsonOptions.Compact));
        File.Move(temp, _path, overwrite: true);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }
        }

        Save();
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 8200, Level = LogLevel.Warning, Message = "Persisted object of unknown resource {StorageKey} skipped")]
    private static partial void LogSkipped(ILogger logger, string storageKey);
}
