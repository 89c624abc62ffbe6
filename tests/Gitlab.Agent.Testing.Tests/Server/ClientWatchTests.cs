using System.Net;
using Gitlab.Agent.TestUtilities;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Testing.Tests.Server;

/// <summary>Watches through KubernetesClient: events, selectors, 410 Expired and relist.</summary>
public sealed class ClientWatchTests
{
    private static V1ConfigMap ConfigMap(string name, string app = "web", string value = "v") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = app } },
        Data = new Dictionary<string, string> { ["k"] = value },
    };

    [Fact]
    public async Task Watch_from_list_resource_version_sees_added_modified_deleted()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("before"), "default");
        var list = await client.CoreV1.ListNamespacedConfigMapAsync("default");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = new List<(WatchEventType, string, string?)>();
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, cm) in client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: list.Metadata.ResourceVersion, labelSelector: "app=web", cancellationToken: cts.Token))
            {
                events.Add((type, cm.Metadata.Name, (cm.Data is { } d && d.TryGetValue("k", out var kv) ? kv : null)));
                if (type == WatchEventType.Deleted)
                {
                    return;
                }
            }
        });

        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("other", app: "db"), "default");
        var a = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        a.Data["k"] = "v2";
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(a, "a", "default");
        await client.CoreV1.DeleteNamespacedConfigMapAsync("a", "default");
        await watching.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(
            [(WatchEventType.Added, "a", "v"), (WatchEventType.Modified, "a", "v2"), (WatchEventType.Deleted, "a", "v2")],
            events);
    }

    [Fact]
    public async Task Object_leaving_the_label_selector_is_delivered_as_deleted()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        var a = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = new List<(WatchEventType, string)>();
        var errors = new List<Exception>();
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, cm) in client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: a.Metadata.ResourceVersion, labelSelector: "app=web", onError: errors.Add, cancellationToken: cts.Token))
            {
                events.Add((type, cm.Metadata.Labels["app"]));
                if (events.Count == 2)
                {
                    return;
                }
            }
        });
        a.Metadata.Labels["app"] = "db";
        a = await client.CoreV1.ReplaceNamespacedConfigMapAsync(a, "a", "default");
        a.Metadata.Labels["app"] = "web";
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(a, "a", "default");
        try
        {
            await watching.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // Rare hang seen once under a loaded full run: say what the watch saw.
            Assert.Fail($"watch ended without two events: events [{string.Join(", ", events)}], client errors [{string.Join("; ", errors.Select(x => x.Message))}]");
        }

        Assert.Equal([(WatchEventType.Deleted, "db"), (WatchEventType.Added, "web")], events);
    }

    [Fact]
    public async Task Watch_from_compacted_resource_version_reports_410_expired_then_relist_works()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("b"), "default");
        cluster.ExpireWatchHistory();

        Exception? error = null;
        var received = 0;
        await foreach (var _ in client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: created.Metadata.ResourceVersion, onError: e => error = e)
            .WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
        {
            received++;
        }

        Assert.Equal(0, received);
        var kex = Assert.IsType<KubernetesException>(error);
        Assert.Equal(410, kex.Status.Code);
        Assert.Equal("Expired", kex.Status.Reason);
        Assert.StartsWith($"too old resource version: {created.Metadata.ResourceVersion} (", kex.Status.Message, StringComparison.Ordinal);

        var relist = await client.CoreV1.ListNamespacedConfigMapAsync("default");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<string>();
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, cm) in client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: relist.Metadata.ResourceVersion, cancellationToken: cts.Token))
            {
                seen.Add($"{type} {cm.Metadata.Name}");
                return;
            }
        });
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("c"), "default");
        await watching.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["Added c"], seen);
    }

    [Fact]
    public async Task Watch_without_resource_version_replays_current_state_then_bookmarks()
    {
        var logs = new CapturedLogs();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var cluster = await KubernetesApiServer.StartAsync(new KubernetesApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200), LoggerFactory = loggerFactory });
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var types = new List<WatchEventType>();
        await foreach (var (type, _) in client.CoreV1.WatchListNamespacedConfigMapAsync("default", allowWatchBookmarks: true, cancellationToken: cts.Token))
        {
            types.Add(type);
            if (type == WatchEventType.Bookmark)
            {
                break;
            }
        }

        Assert.True(logs.Count(l => l.Level >= LogLevel.Error) == 0, logs.ToString());
        Assert.Equal(WatchEventType.Added, types[0]);
        Assert.Equal(WatchEventType.Bookmark, types[^1]);
    }

    [Fact]
    public async Task Watch_timeout_seconds_ends_the_stream()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        var from = cluster.ResourceVersion.ToString();
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        var count = 0;

        // The stream ends by itself after timeoutSeconds (the token only guards against a hang).
        await foreach (var _ in client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: from, timeoutSeconds: 2)
            .WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token))
        {
            count++;
        }

        Assert.Equal(1, count);
    }

    [Fact]
    public async Task Stale_replace_surfaces_as_http_operation_exception_conflict()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        using var client = cluster.CreateClient();
        var a = await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(ConfigMap("a", value: "x").Also(c => c.Metadata.ResourceVersion = a.Metadata.ResourceVersion), "a", "default");
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReplaceNamespacedConfigMapAsync(a, "a", "default"));
        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
    }
}

internal static class ObjectExtensions
{
    public static T Also<T>(this T value, Action<T> action)
    {
        action(value);
        return value;
    }
}
