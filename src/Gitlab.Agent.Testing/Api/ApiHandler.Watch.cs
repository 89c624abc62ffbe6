using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Registry;
using Gitlab.Agent.Testing.Server;
using Gitlab.Agent.Testing.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gitlab.Agent.Testing.Api;

internal sealed partial class ApiHandler
{
    private static readonly byte[] EventPrefixStart = "{\"type\":\""u8.ToArray();
    private static readonly byte[] EventPrefixEnd = "\",\"object\":"u8.ToArray();
    private static readonly byte[] EventSuffix = "}\n"u8.ToArray();

    /// <summary>Streams watch events, one JSON object per line, flushed per event.</summary>
    private async Task WatchAsync(HttpContext http, ResourceType type, string ns, string? name)
    {
        var q = http.Request.Query;
        var (labels, fields) = Selectors(http, type);
        if (name is not null)
        {
            var inner = fields;
            fields = f => f.TryGetValue("metadata.name", out var n) && n == name && inner(f);
        }

        var accept = AcceptInfo.Parse(http.Request.Headers.Accept);
        if (accept.Shape == ResponseShape.Object)
        {
            CheckAcceptable(accept);
        }

        var rvText = q["resourceVersion"].FirstOrDefault();
        long? from = null;
        if (!string.IsNullOrEmpty(rvText) && rvText != "0")
        {
            if (!long.TryParse(rvText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw KubeApiException.BadRequest($"invalid resource version: \"{rvText}\"");
            }

            from = parsed;
        }

        var bookmarks = IsTrue(q["allowWatchBookmarks"]);
        var sendInitialEvents = IsTrue(q["sendInitialEvents"]);
        if (sendInitialEvents)
        {
            from = null;
        }

        var timeout = long.TryParse(q["timeoutSeconds"].FirstOrDefault(), CultureInfo.InvariantCulture, out var ts) && ts > 0
            ? TimeSpan.FromSeconds(ts)
            : (TimeSpan?)null;

        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        http.Response.Headers.CacheControl = "no-cache, private";
        var output = http.Response.BodyWriter;

        Watcher watcher;
        try
        {
            watcher = Store.Watch(type.StorageKey, from);
        }
        catch (WatchExpiredException e)
        {
            await http.Response.StartAsync(http.RequestAborted);
            var status = KubeApiException.Gone(e.Message).ToStatus();
            await WriteEventAsync(output, "ERROR", JsonSerializer.SerializeToUtf8Bytes(status, JsonOptions.Compact), http.RequestAborted);
            return;
        }

        using var _ = watcher;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _core.Stopping);
        if (timeout is { } t)
        {
            cts.CancelAfter(t);
        }

        var ct = cts.Token;
        await http.Response.StartAsync(ct);
        await output.FlushAsync(ct);
        var headersSent = false;
        var initialPending = sendInitialEvents;
        var initialEndRv = watcher.StartResourceVersion;
        Task<bool>? pendingRead = null;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (initialPending && watcher.Reader.Count == 0)
                {
                    initialPending = false;
                    await WriteBookmarkAsync(output, type, initialEndRv, initialEventsEnd: true, ct);
                    continue;
                }

                var read = pendingRead ??= watcher.Reader.WaitToReadAsync(ct).AsTask();
                if (bookmarks)
                {
                    var delay = Task.Delay(_core.Options.BookmarkInterval, ct);
                    var first = await Task.WhenAny(read, delay);
                    if (first == delay && !read.IsCompleted)
                    {
                        long? bookmarkRv = null;
                        lock (Store.Sync)
                        {
                            if (watcher.Reader.Count == 0)
                            {
                                bookmarkRv = Store.CurrentResourceVersionUnlocked;
                            }
                        }

                        if (bookmarkRv is { } brv)
                        {
                            await WriteBookmarkAsync(output, type, brv, initialEventsEnd: false, ct);
                        }

                        continue;
                    }
                }

                pendingRead = null;
                if (!await read)
                {
                    return;
                }

                while (watcher.Reader.TryRead(out var evt))
                {
                    if (ns.Length > 0 && evt.Object.Namespace != ns)
                    {
                        continue;
                    }

                    var matchesNow = labels(evt.Object.Labels) && fields(evt.Object.Fields);
                    var eventType = evt.Type;
                    if (evt.Type == WatchEvent.Modified && evt.Previous is not null)
                    {
                        var matchedBefore = labels(evt.Previous.Labels) && fields(evt.Previous.Fields);
                        if (matchedBefore && !matchesNow)
                        {
                            eventType = WatchEvent.Deleted;
                        }
                        else if (!matchedBefore && matchesNow)
                        {
                            eventType = WatchEvent.Added;
                        }
                        else if (!matchesNow)
                        {
                            continue;
                        }
                    }
                    else if (!matchesNow)
                    {
                        continue;
                    }

                    byte[] payload;
                    switch (accept.Shape)
                    {
                        case ResponseShape.Table:
                        {
                            var obj = ObjectWriter.ForVersion(evt.Object.Clone(), type);
                            var table = _core.Tables.ToTable(type, [obj], IncludeObject(http), evt.ResourceVersion.ToString(CultureInfo.InvariantCulture), !headersSent, null, accept.TableApiVersion);
                            headersSent = true;
                            payload = JsonSerializer.SerializeToUtf8Bytes(table, JsonOptions.Compact);
                            break;
                        }

                        case ResponseShape.PartialMetadata:
                            payload = JsonSerializer.SerializeToUtf8Bytes(PartialMetadata(evt.Object.Clone(), accept.TableApiVersion), JsonOptions.Compact);
                            break;
                        default:
                            payload = evt.Object.Type.Version == type.Version
                                ? evt.Object.Json
                                : JsonSerializer.SerializeToUtf8Bytes(ObjectWriter.ForVersion(evt.Object.Clone(), type), JsonOptions.Compact);
                            break;
                    }

                    await WriteEventAsync(output, eventType, payload, ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds elapsed, client left or server stopping: end the stream cleanly.
        }
    }

    private static async Task WriteBookmarkAsync(System.IO.Pipelines.PipeWriter output, ResourceType type, long rv, bool initialEventsEnd, CancellationToken ct)
    {
        var meta = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) };
        if (initialEventsEnd)
        {
            meta["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }

        var obj = new JsonObject { ["kind"] = type.Kind, ["apiVersion"] = type.ApiVersion, ["metadata"] = meta };
        await WriteEventAsync(output, "BOOKMARK", JsonSerializer.SerializeToUtf8Bytes(obj, JsonOptions.Compact), ct);
    }

    private static async Task WriteEventAsync(System.IO.Pipelines.PipeWriter output, string type, byte[] payload, CancellationToken ct, bool flush = true)
    {
        output.Write(EventPrefixStart);
        output.Write(System.Text.Encoding.ASCII.GetBytes(type));
        output.Write(EventPrefixEnd);
        output.Write(payload);
        output.Write(EventSuffix);
        if (flush)
        {
            await output.FlushAsync(ct);
        }
    }
}
