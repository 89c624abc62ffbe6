using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Api;
using Gitlab.Agent.Testing.Server;

namespace Gitlab.Agent.Testing.Bench;

/// <summary>The measured scenarios.</summary>
internal static class Scenarios
{
    private static int _namespaceCounter;

    /// <summary>Whether the HTTPS clients speak HTTP/2 (kubectl's protocol) instead of HTTP/1.1 (KubernetesClient's).</summary>
    public static bool Http2 { get; set; }

    private static ApiServerCore Core(KubernetesApiServer cluster) =>
        (ApiServerCore)typeof(KubernetesApiServer).GetField("_core", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(cluster)!;

    private static string NewNamespace(KubernetesApiServer cluster)
    {
        var core = Core(cluster);
        var name = "bench-" + Interlocked.Increment(ref _namespaceCounter);
        core.Writer.Create(core.Registry.FindByStorageKey("/namespaces")!, string.Empty, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } }, WriteContext.ForController("bench"));
        return name;
    }

    public static Rate InProcessCreates(KubernetesApiServer cluster, TimeSpan duration)
    {
        var core = Core(cluster);
        var ns = NewNamespace(cluster);
        var type = core.Registry.FindByStorageKey("/configmaps")!;
        var ctx = WriteContext.ForController("bench");
        var count = 0;
        var sw = Meter.Start();
        while (sw.Elapsed < duration)
        {
            core.Writer.Create(type, ns, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "cm-" + count }, ["data"] = new JsonObject { ["k"] = "v" } }, ctx);
            count++;
        }

        return sw.Stop(count);
    }

    public static Rate InProcessUpdates(KubernetesApiServer cluster, TimeSpan duration)
    {
        var core = Core(cluster);
        var ns = NewNamespace(cluster);
        var type = core.Registry.FindByStorageKey("/configmaps")!;
        var ctx = WriteContext.ForController("bench");
        core.Writer.Create(type, ns, ConfigMap("cm", "v"), ctx);
        var count = 0;
        var sw = Meter.Start();
        while (sw.Elapsed < duration)
        {
            core.Writer.Update(type, ns, "cm", ConfigMap("cm", "v" + count), null, ctx);
            count++;
        }

        return sw.Stop(count);
    }

    private static JsonObject ConfigMap(string name, string value) =>
        new() { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = new JsonObject { ["k"] = value } };

    public static Rate InProcessApplies(KubernetesApiServer cluster, TimeSpan duration)
    {
        var core = Core(cluster);
        var ns = NewNamespace(cluster);
        var type = core.Registry.FindByStorageKey("/configmaps")!;
        var ctx = new WriteContext { User = RequestUser.System, FieldManager = "gitops", FieldManagerGiven = true, Force = true, FieldValidation = "Strict" };
        var count = 0;
        var sw = Meter.Start();
        while (sw.Elapsed < duration)
        {
            var body = Encoding.UTF8.GetBytes($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{{{count % 100}}}","namespace":"{{{ns}}}"},"data":{"k":"v{{{count}}}"}}""");
            core.Writer.Patch(type, ns, "cm-" + (count % 100), PatchTypes.Apply, body, null, ctx);
            count++;
        }

        return sw.Stop(count);
    }

    private static HttpClient Client(KubernetesApiServer cluster) => Client(cluster.BaseAddress, cluster.CaCertificate, cluster.AdminToken, Http2);

    /// <summary>An HTTPS client that trusts <paramref name="ca"/> and sends <paramref name="token"/>.</summary>
    public static HttpClient Client(Uri baseAddress, X509Certificate2 ca, string token, bool http2)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 64,
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return cert is not null && chain.Build(X509CertificateLoader.LoadCertificate(cert.GetRawCertData()));
                },
            },
        };
        var http = new HttpClient(handler) { BaseAddress = baseAddress };
        if (http2)
        {
            // As kubectl talks: one TLS connection, requests multiplexed as HTTP/2 streams.
            http.DefaultRequestVersion = System.Net.HttpVersion.Version20;
            http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>One ConfigMap create (POST) per call, named after the sequence number.</summary>
    public static Func<int, int, Task> CreateOperation(HttpClient http, string ns) => async (_, i) =>
    {
        using var content = new StringContent($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{{{i}}}"},"data":{"k":"v"}}""", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", content);
        if ((int)response.StatusCode != 201)
        {
            throw new InvalidOperationException($"create answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    };

    /// <summary>
    /// One ConfigMap update (unconditional PUT, as a controller without resourceVersion would) per call: each client
    /// replaces its own ConfigMap <c>cm-{worker}</c> with a new value.
    /// </summary>
    public static Func<int, int, Task> UpdateOperation(HttpClient http, string ns) => async (w, i) =>
    {
        using var content = new StringContent($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{{{w}}}"},"data":{"k":"v{{{i}}}"}}""", Encoding.UTF8, "application/json");
        using var response = await http.PutAsync($"/api/v1/namespaces/{ns}/configmaps/cm-{w}", content);
        if ((int)response.StatusCode != 200)
        {
            throw new InvalidOperationException($"update answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    };

    /// <summary>A new namespace with the ConfigMaps <c>cm-0</c>… that <see cref="UpdateOperation"/> replaces.</summary>
    public static string NamespaceForUpdates(KubernetesApiServer cluster, int concurrency)
    {
        var ns = NewNamespace(cluster);
        var core = Core(cluster);
        var type = core.Registry.FindByStorageKey("/configmaps")!;
        for (var w = 0; w < concurrency; w++)
        {
            core.Writer.Create(type, ns, ConfigMap("cm-" + w, "v"), WriteContext.ForController("bench"));
        }

        return ns;
    }

    /// <summary>A new, empty namespace.</summary>
    public static string Namespace(KubernetesApiServer cluster) => NewNamespace(cluster);

    private static Task<Rate> RunConcurrentAsync(TimeSpan duration, int concurrency, Func<int, Task> operation) =>
        RunConcurrentAsync(duration, concurrency, (_, i) => operation(i));

    /// <summary>Runs <paramref name="concurrency"/> clients back to back; the operation gets the worker index and a global sequence number.</summary>
    public static async Task<Rate> RunConcurrentAsync(TimeSpan duration, int concurrency, Func<int, int, Task> operation)
    {
        var count = 0;
        var sw = Meter.Start();
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            while (sw.Elapsed < duration)
            {
                await operation(w, Interlocked.Increment(ref count));
            }
        }));
        await Task.WhenAll(workers);
        return sw.Stop(count);
    }

    public static async Task<Rate> HttpCreatesAsync(KubernetesApiServer cluster, TimeSpan duration, int concurrency)
    {
        using var http = Client(cluster);
        var ns = NewNamespace(cluster);
        await WarmUpAsync(http, ns);
        return await RunConcurrentAsync(duration, concurrency, CreateOperation(http, ns));
    }

    public static async Task<Rate> HttpUpdatesAsync(KubernetesApiServer cluster, TimeSpan duration, int concurrency)
    {
        using var http = Client(cluster);
        var ns = NamespaceForUpdates(cluster, concurrency);
        await WarmUpAsync(http, ns);
        return await RunConcurrentAsync(duration, concurrency, UpdateOperation(http, ns));
    }

    /// <summary>The 1/5/15-minute load average of the machine (Linux), or "n/a".</summary>
    public static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return string.Join(" ", parts.Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
    }

    public static async Task<Rate> HttpAppliesAsync(KubernetesApiServer cluster, TimeSpan duration, int concurrency)
    {
        using var http = Client(cluster);
        var ns = NewNamespace(cluster);
        await WarmUpAsync(http, ns);
        return await RunConcurrentAsync(duration, concurrency, async i =>
        {
            var name = "cm-" + (i % 100);
            using var content = new StringContent($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}"},"data":{"k":"v{{{i}}}"}}""", Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/apply-patch+yaml");
            using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/{name}?fieldManager=gitops&force=true") { Content = content };
            using var response = await http.SendAsync(request);
            if ((int)response.StatusCode is not (200 or 201))
            {
                throw new InvalidOperationException($"apply answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        });
    }

    public static async Task<(double EventsPerSecond, double WritesPerSecond)> WatchFanOutAsync(KubernetesApiServer cluster, TimeSpan duration, int watchers, int concurrency)
    {
        using var http = Client(cluster);
        var ns = NewNamespace(cluster);
        await WarmUpAsync(http, ns);
        using var cts = new CancellationTokenSource();
        long delivered = 0;
        var rv = cluster.ResourceVersion;
        var readers = new List<Task>();
        for (var w = 0; w < watchers; w++)
        {
            readers.Add(Task.Run(async () =>
            {
                try
                {
                    using var response = await http.GetAsync($"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={rv}", HttpCompletionOption.ResponseHeadersRead, cts.Token);
                    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
                    while (await reader.ReadLineAsync(cts.Token) is not null)
                    {
                        Interlocked.Increment(ref delivered);
                    }
                }
                catch (OperationCanceledException)
                {
                }
                catch (HttpRequestException)
                {
                }
                catch (IOException)
                {
                }
            }));
        }

        await Task.Delay(500);
        var sw = Stopwatch.StartNew();
        var writes = (await RunConcurrentAsync(duration, concurrency, async i =>
        {
            using var content = new StringContent($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{{{i}}}"}}""", Encoding.UTF8, "application/json");
            using var response = await http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", content);
        })).PerSecond;
        var expected = (long)Math.Round(writes * sw.Elapsed.TotalSeconds) * watchers;
        var drain = Stopwatch.StartNew();
        while (Interlocked.Read(ref delivered) < expected && drain.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20);
        }

        var elapsed = sw.Elapsed.TotalSeconds;
        await cts.CancelAsync();
        await Task.WhenAll(readers);
        return (Interlocked.Read(ref delivered) / elapsed, writes);
    }

    public static async Task WarmUpAsync(HttpClient http, string ns)
    {
        for (var i = 0; i < 50; i++)
        {
            using var response = await http.GetAsync($"/api/v1/namespaces/{ns}/configmaps?limit=1");
        }
    }
}
