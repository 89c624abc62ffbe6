using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Registry;
using Gitlab.Agent.Testing.Server;
using Gitlab.Agent.Testing.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gitlab.Agent.Testing.Api;

/// <summary>The HTTP front of the emulated kube-apiserver: routing, negotiation, CRUD, list, watch and errors.</summary>
internal sealed partial class ApiHandler
{
    private readonly ApiServerCore _core;

    public ApiHandler(ApiServerCore core) => _core = core;

    private ResourceRegistry Registry => _core.Registry;

    private ObjectStore Store => _core.Store;

    private ObjectWriter Writer => _core.Writer;

    public async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        var watchParam = IsTrue(request.Query["watch"]);
        var info = RequestInfo.Parse(request.Method, request.Path.Value ?? "/", watchParam);
        var entryUser = "<none>";
        try
        {
            var user = _core.Auth.Authenticate(http);
            entryUser = user.Name;
            user = _core.Auth.Impersonate(http, user);
            if (info.IsResourceRequest)
            {
                await HandleResourceAsync(http, info, user);
            }
            else
            {
                await HandleNonResourceAsync(http, info, user);
            }
        }
        catch (KubeApiException e)
        {
            await WriteErrorAsync(http, e);
        }
        catch (WatchExpiredException e)
        {
            await WriteErrorAsync(http, KubeApiException.Gone(e.Message));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or YamlDotNet.Core.YamlException)
        {
            await WriteErrorAsync(http, KubeApiException.BadRequest(e.Message));
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested || _core.Stopping.IsCancellationRequested)
        {
            // client went away or server stopping
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogUnexpected(_core.Logger, request.Method, request.Path.Value ?? "/", e);
            await WriteErrorAsync(http, KubeApiException.Internal(e.Message));
        }
        finally
        {
            _core.RequestLog.Record(new RecordedRequest(
                request.Method,
                request.Path.Value ?? "/",
                request.QueryString.Value ?? string.Empty,
                info.Verb,
                info.IsResourceRequest ? info.Resource : null,
                info.IsResourceRequest && info.Subresource.Length > 0 ? info.Subresource : null,
                info.IsResourceRequest && info.Namespace.Length > 0 ? info.Namespace : null,
                info.IsResourceRequest && info.Name.Length > 0 ? info.Name : null,
                entryUser,
                request.Headers.UserAgent.ToString(),
                request.ContentType,
                IsDryRun(request),
                http.Response.StatusCode,
                DateTimeOffset.UtcNow));
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 8001, Level = Microsoft.Extensions.Logging.LogLevel.Error, Message = "Unexpected error answering {Method} {Path}")]
    private static partial void LogUnexpected(Microsoft.Extensions.Logging.ILogger logger, string method, string path, Exception exception);

    private static bool IsDryRun(HttpRequest request) => request.Query["dryRun"].Count > 0;

    private static bool IsTrue(Microsoft.Extensions.Primitives.StringValues v) => v.Count > 0 && v[0] is "true" or "1";

    // ------------------------------------------------------------------ non-resource

    private async Task HandleNonResourceAsync(HttpContext http, RequestInfo info, RequestUser user)
    {
        var path = info.Path.TrimEnd('/');
        if (path.Length == 0)
        {
            path = "/";
        }

        _core.Auth.AuthorizeNonResource(user, http.Request.Method, info.Path);
        if (http.Request.Method is not ("GET" or "HEAD"))
        {
            throw path is "/version" or "/api" or "/apis" or "/healthz" or "/livez" or "/readyz" ? KubeApiException.MethodNotAllowed() : KubeApiException.PathNotFound();
        }

        switch (path)
        {
            case "/version":
                await WriteJsonAsync(http, 200, VersionInfo());
                return;
            case "/healthz" or "/livez" or "/readyz":
                await WriteHealthAsync(http, path[1..]);
                return;
            case "/api":
                await WriteDiscoveryRootAsync(http, core: true);
                return;
            case "/apis":
                await WriteDiscoveryRootAsync(http, core: false);
                return;
            case "/openapi/v3":
                http.Response.Headers.CacheControl = "no-cache, private";
                await WriteJsonAsync(http, 200, _core.OpenApi.Root());
                return;
            case "/openapi/v2":
                throw KubeApiException.PathNotFound();
        }

        if (path.StartsWith("/openapi/v3/", StringComparison.Ordinal))
        {
            var doc = _core.OpenApi.GroupVersion(path["/openapi/v3/".Length..]) ?? throw KubeApiException.PathNotFound();
            http.Response.Headers.CacheControl = http.Request.Query.ContainsKey("hash") ? "public, immutable" : "no-cache, private";
            http.Response.Headers.ETag = "\"" + doc.Hash + "\"";
            http.Response.StatusCode = 200;
            http.Response.ContentType = "application/json";
            await http.Response.Body.WriteAsync(doc.Body, http.RequestAborted);
            return;
        }

        var parts = path.Trim('/').Split('/');
        if (parts is ["api", var v] && v == "v1")
        {
            await WriteJsonAsync(http, 200, _core.Discovery.ResourceList(string.Empty, v)!);
            return;
        }

        if (parts is ["apis", var g])
        {
            await WriteJsonAsync(http, 200, _core.Discovery.ApiGroupDocument(g) ?? throw KubeApiException.PathNotFound());
            return;
        }

        if (parts is ["apis", var g2, var v2])
        {
            await WriteJsonAsync(http, 200, _core.Discovery.ResourceList(g2, v2) ?? throw KubeApiException.PathNotFound());
            return;
        }

        throw KubeApiException.PathNotFound();
    }

    private static JsonObject VersionInfo() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = "v1.32.4",
        ["gitCommit"] = "59526cd4867447956156ae3a602fcbac5de2b8a5",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2025-04-22T16:03:17Z",
        ["goVersion"] = "go1.23.6",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    private static async Task WriteHealthAsync(HttpContext http, string check)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = "text/plain; charset=utf-8";
        http.Response.Headers["X-Content-Type-Options"] = "nosniff";
        var body = http.Request.Query.ContainsKey("verbose")
            ? $"[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]poststarthook/start-apiextensions-controllers ok\n[+]poststarthook/crd-informer-synced ok\n{check} check passed\n"
            : "ok";
        await http.Response.WriteAsync(body, http.RequestAborted);
    }

    private async Task WriteDiscoveryRootAsync(HttpContext http, bool core)
    {
        var accept = http.Request.Headers.Accept.ToString();
        http.Response.Headers.Vary = "Accept";
        if (accept.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal))
        {
            var v2 = accept.Contains("v=v2;", StringComparison.Ordinal) || accept.Contains("v=v2,", StringComparison.Ordinal) || accept.EndsWith("v=v2", StringComparison.Ordinal)
                || (accept.Contains("v=v2", StringComparison.Ordinal) && !accept.Contains("v=v2beta1", StringComparison.Ordinal));
            var doc = _core.Discovery.Aggregated(core, v2 ? "apidiscovery.k8s.io/v2" : "apidiscovery.k8s.io/v2beta1");
            await WriteJsonAsync(http, 200, doc, v2 ? DiscoveryDocuments.AggregatedV2ContentType : DiscoveryDocuments.AggregatedV2Beta1ContentType);
            return;
        }

        if (core)
        {
            var host = http.Request.Host.HasValue ? http.Request.Host.Value : "127.0.0.1";
            await WriteJsonAsync(http, 200, DiscoveryDocuments.ApiVersions(host));
        }
        else
        {
            await WriteJsonAsync(http, 200, _core.Discovery.ApiGroupList());
        }
    }

    // ------------------------------------------------------------------ resources

    private async Task HandleResourceAsync(HttpContext http, RequestInfo info, RequestUser user)
    {
        if (info.Malformed || !Registry.TryGet(info.Group, info.Version, info.Resource, out var type))
        {
            throw KubeApiException.PathNotFound();
        }

        // /api/v1/namespaces/{ns} addresses the namespace itself.
        var ns = info.Namespace;
        if (type.GroupKind == "/Namespace")
        {
            ns = string.Empty;
        }
        else if (!type.Namespaced && ns.Length > 0)
        {
            throw KubeApiException.PathNotFound();
        }

        var sub = info.Subresource.Length == 0 ? null : info.Subresource;
        if (sub is not null && !SubresourceServed(type, sub))
        {
            throw KubeApiException.PathNotFound();
        }

        _core.Auth.AuthorizeResource(user, info, type);
        var method = http.Request.Method;

        if (sub is "log" or "exec" or "attach")
        {
            await _core.PodIo.HandleAsync(http, type, ns, info.Name, sub, user);
            return;
        }

        if (sub == "scale")
        {
            await _core.Scale.HandleAsync(http, type, ns, info.Name, user, this);
            return;
        }

        if (type.CreateOnly)
        {
            if (method != "POST" || info.Name.Length > 0)
            {
                throw KubeApiException.MethodNotAllowed();
            }

            var body = await ReadObjectBodyAsync(http);
            await WriteJsonAsync(http, 201, _core.Reviews.Evaluate(type, ns, body, user));
            return;
        }

        switch (method)
        {
            case "GET" or "HEAD" when info.Name.Length == 0:
                if (info.Verb == "watch")
                {
                    await WatchAsync(http, type, ns, null);
                }
                else
                {
                    await ListAsync(http, type, ns);
                }

                return;
            case "GET" or "HEAD":
                if (info.Verb == "watch")
                {
                    await WatchAsync(http, type, ns, info.Name);
                    return;
                }

                await GetAsync(http, type, ns, info.Name);
                return;
            case "POST" when info.Name.Length == 0 && sub is null:
            {
                var ctx = WriteContextFor(http, user, "create");
                var body = await ReadObjectBodyAsync(http);
                var created = Writer.Create(type, ns, body, ctx, bodyIsPrivate: true);
                await WriteObjectAsync(http, 201, type, created, ctx);
                return;
            }

            case "PUT" when info.Name.Length > 0:
            {
                var ctx = WriteContextFor(http, user, "update");
                var body = await ReadObjectBodyAsync(http);
                JsonObject updated;
                if (sub == "finalize")
                {
                    updated = _core.Namespaces.Finalize(type, info.Name, body, ctx);
                }
                else
                {
                    updated = Writer.Update(type, ns, info.Name, body, sub, ctx);
                }

                await WriteObjectAsync(http, 200, type, updated, ctx);
                return;
            }

            case "PATCH" when info.Name.Length > 0 && sub is null or "status":
            {
                var ctx = WriteContextFor(http, user, "patch");
                var patchType = MediaType(http.Request.ContentType);
                var body = await ReadBodyAsync(http);
                var (patched, created) = Writer.Patch(type, ns, info.Name, patchType, body, sub, ctx);
                await WriteObjectAsync(http, created ? 201 : 200, type, patched, ctx);
                return;
            }

            case "DELETE" when info.Name.Length > 0 && sub is null:
            {
                var ctx = WriteContextFor(http, user, "delete");
                var options = await ReadDeleteOptionsAsync(http);
                var (code, result) = Writer.Delete(type, ns, info.Name, options, ctx);
                await WriteJsonAsync(http, code, result);
                return;
            }

            case "DELETE" when info.Name.Length == 0 && sub is null && type.SupportsVerb("deletecollection"):
            {
                var ctx = WriteContextFor(http, user, "delete");
                var options = await ReadDeleteOptionsAsync(http);
                await DeleteCollectionAsync(http, type, ns, options, ctx);
                return;
            }
        }

        throw KubeApiException.MethodNotAllowed();
    }

    private static bool SubresourceServed(ResourceType type, string sub) => sub switch
    {
        "status" => type.HasStatus,
        "scale" => type.Scale is not null,
        _ => type.OtherSubresources.Any(s => s.Name == sub),
    };

    internal static string MediaType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return string.Empty;
        }

        var semi = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semi >= 0 ? contentType[..semi] : contentType).Trim().ToLowerInvariant();
    }

    internal WriteContext WriteContextFor(HttpContext http, RequestUser user, string operation)
    {
        var q = http.Request.Query;
        var dryRunValues = q["dryRun"];
        var dryRun = false;
        if (dryRunValues.Count > 0)
        {
            var bad = dryRunValues.Where(v => v != "All").ToList();
            if (bad.Count > 0)
            {
                var optionsKind = operation switch { "create" => "CreateOptions", "update" => "UpdateOptions", "patch" => "PatchOptions", _ => "DeleteOptions" };
                throw KubeApiException.Invalid("meta.k8s.io", optionsKind, string.Empty,
                    [new FieldError("FieldValueNotSupported", "dryRun", "supported values: \"All\"", "[]string{" + string.Join(", ", dryRunValues.Select(v => "\"" + v + "\"")) + "}")]);
            }

            dryRun = true;
        }

        var validation = q["fieldValidation"].FirstOrDefault();
        if (string.IsNullOrEmpty(validation))
        {
            validation = "Warn";
        }
        else if (validation is not ("Strict" or "Warn" or "Ignore"))
        {
            throw KubeApiException.BadRequest($"fieldValidation: Unsupported value: \"{validation}\": supported values: \"Ignore\", \"Strict\", \"Warn\"");
        }

        var manager = q["fieldManager"].FirstOrDefault();
        var force = q["force"].FirstOrDefault();
        return new WriteContext
        {
            User = user,
            FieldManager = string.IsNullOrEmpty(manager) ? SemanticsBridge.DefaultManager(http.Request.Headers.UserAgent.ToString()) : manager,
            FieldManagerGiven = !string.IsNullOrEmpty(manager),
            DryRun = dryRun,
            FieldValidation = validation,
            Force = force is "true" or "1",
        };
    }

    internal static async Task<byte[]> ReadBodyAsync(HttpContext http)
    {
        if (http.Request.ContentLength is long length and <= 3 * 1024 * 1024)
        {
            // The usual case: read straight into a buffer of the announced size.
            var buffer = new byte[length];
            await http.Request.Body.ReadExactlyAsync(buffer, http.RequestAborted);
            return buffer;
        }

        using var ms = new MemoryStream();
        await http.Request.Body.CopyToAsync(ms, http.RequestAborted);
        if (ms.Length > 3 * 1024 * 1024)
        {
            throw new KubeApiException(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728");
        }

        return ms.ToArray();
    }

    internal async Task<JsonObject> ReadObjectBodyAsync(HttpContext http)
    {
        var body = await ReadBodyAsync(http);
        var media = MediaType(http.Request.ContentType);
        if (media == "application/vnd.kubernetes.protobuf" || SemanticsBridge.IsProtobufEnvelope(body))
        {
            return SemanticsBridge.DecodeProtobuf(body);
        }

        if (body.Length == 0)
        {
            throw KubeApiException.BadRequest("Object 'Kind' is missing in ''");
        }

        if (media is "application/yaml" or "application/apply-patch+yaml")
        {
            return YamlJson.ParseObject(body);
        }

        if (media is not ("application/json" or "" or "*/*"))
        {
            throw KubeApiException.UnsupportedMediaType($"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf");
        }

        return JsonNode.Parse(body) as JsonObject ?? throw KubeApiException.BadRequest("the request body must be a JSON object");
    }

    private static async Task<DeleteRequest> ReadDeleteOptionsAsync(HttpContext http)
    {
        var q = http.Request.Query;
        string? policy = q["propagationPolicy"].FirstOrDefault();
        long? grace = long.TryParse(q["gracePeriodSeconds"].FirstOrDefault(), CultureInfo.InvariantCulture, out var g) ? g : null;
        string? orphan = q["orphanDependents"].FirstOrDefault();
        string? uid = null;
        string? rv = null;
        var body = await ReadBodyAsync(http);
        if (body.Length > 0 && JsonNode.Parse(body) is JsonObject opts)
        {
            policy = opts["propagationPolicy"]?.GetValue<string>() ?? policy;
            grace = JsonPath.AsLong(opts["gracePeriodSeconds"]) ?? grace;
            uid = opts["preconditions"]?["uid"]?.GetValue<string>();
            rv = opts["preconditions"]?["resourceVersion"]?.GetValue<string>();
            if (opts["orphanDependents"] is JsonValue ov)
            {
                orphan = ov.GetValue<bool>() ? "true" : "false";
            }
        }

        if (policy is null && orphan is not null)
        {
            policy = orphan == "true" ? "Orphan" : "Background";
        }

        if (policy is not null and not ("Orphan" or "Foreground" or "Background"))
        {
            throw KubeApiException.Invalid("meta.k8s.io", "DeleteOptions", string.Empty,
                [FieldError.NotSupported("propagationPolicy", "\"" + policy + "\"", ["Foreground", "Background", "Orphan", "nil"])]);
        }

        return new DeleteRequest(policy, uid, rv, grace);
    }

    // ------------------------------------------------------------------ get / list

    private async Task GetAsync(HttpContext http, ResourceType type, string ns, string name)
    {
        var stored = Store.Get(type.StorageKey, ns, name) ?? throw KubeApiException.NotFound(type.Group, type.Plural, name);
        var accept = AcceptInfo.Parse(http.Request.Headers.Accept);
        if (accept is { Shape: ResponseShape.Object, Acceptable: true } && stored.Type.Version == type.Version)
        {
            await WriteJsonBytesAsync(http, 200, stored.Json);
            return;
        }

        var obj = ObjectWriter.ForVersion(stored.Clone(), type);
        switch (accept.Shape)
        {
            case ResponseShape.Table:
                await WriteJsonAsync(http, 200, _core.Tables.ToTable(type, [obj], IncludeObject(http), stored.ResourceVersion.ToString(CultureInfo.InvariantCulture), true, null, accept.TableApiVersion));
                return;
            case ResponseShape.PartialMetadata:
                await WriteJsonAsync(http, 200, PartialMetadata(obj, accept.TableApiVersion));
                return;
        }

        CheckAcceptable(accept);
        await WriteJsonAsync(http, 200, obj);
    }

    private static void CheckAcceptable(AcceptInfo accept)
    {
        if (!accept.Acceptable)
        {
            throw KubeApiException.NotAcceptable("only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf");
        }
    }

    private static string IncludeObject(HttpContext http) => http.Request.Query["includeObject"].FirstOrDefault() ?? "Metadata";

    private static JsonObject PartialMetadata(JsonObject obj, string apiVersion) => new()
    {
        ["kind"] = "PartialObjectMetadata",
        ["apiVersion"] = apiVersion,
        ["metadata"] = obj["metadata"]?.DeepClone(),
    };

    private (Func<IReadOnlyDictionary<string, string>, bool> Labels, Func<IReadOnlyDictionary<string, string>, bool> Fields) Selectors(HttpContext http, ResourceType type)
    {
        var labels = SemanticsBridge.LabelSelector(http.Request.Query["labelSelector"].FirstOrDefault());
        var fields = SemanticsBridge.FieldSelector(http.Request.Query["fieldSelector"].FirstOrDefault(), type);
        return (labels, fields);
    }

    private async Task ListAsync(HttpContext http, ResourceType type, string ns)
    {
        var (labels, fields) = Selectors(http, type);
        var accept = AcceptInfo.Parse(http.Request.Headers.Accept);
        var q = http.Request.Query;
        var limit = long.TryParse(q["limit"].FirstOrDefault(), CultureInfo.InvariantCulture, out var l) && l > 0 ? l : long.MaxValue;
        string? startAfter = null;
        long? snapshotRv = null;
        if (q["continue"].FirstOrDefault() is { Length: > 0 } token)
        {
            (startAfter, snapshotRv) = ContinueToken.Decode(token);
        }

        var (all, rv) = Store.List(type.StorageKey, ns, startAfter);
        var items = new List<StoredObject>();
        string? next = null;
        long remaining = 0;
        foreach (var o in all)
        {
            if (!labels(o.Labels) || !fields(o.Fields))
            {
                continue;
            }

            if (items.Count >= limit)
            {
                remaining++;
                continue;
            }

            items.Add(o);
        }

        var listRv = (snapshotRv ?? rv).ToString(CultureInfo.InvariantCulture);
        if (remaining > 0)
        {
            var last = items[^1];
            next = ContinueToken.Encode(last.Namespace + "/" + last.Name, snapshotRv ?? rv);
        }

        if (accept.Shape == ResponseShape.Table)
        {
            var objs = items.Select(i => ObjectWriter.ForVersion(i.Clone(), type));
            await WriteJsonAsync(http, 200, _core.Tables.ToTable(type, objs, IncludeObject(http), listRv, true, next, accept.TableApiVersion));
            return;
        }

        CheckAcceptable(accept);
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        var writer = new Utf8JsonWriter(http.Response.BodyWriter, JsonOptions.Writer);
        writer.WriteStartObject();
        if (accept.Shape == ResponseShape.PartialMetadata)
        {
            writer.WriteString("kind", "PartialObjectMetadataList");
            writer.WriteString("apiVersion", accept.TableApiVersion);
        }
        else
        {
            writer.WriteString("kind", type.ListKind);
            writer.WriteString("apiVersion", type.ApiVersion);
        }

        writer.WriteStartObject("metadata");
        writer.WriteString("resourceVersion", listRv);
        if (next is not null)
        {
            writer.WriteString("continue", next);
            writer.WriteNumber("remainingItemCount", remaining);
        }

        writer.WriteEndObject();
        writer.WriteStartArray("items");
        foreach (var item in items)
        {
            if (accept.Shape == ResponseShape.PartialMetadata)
            {
                PartialMetadata(item.Clone(), accept.TableApiVersion).WriteTo(writer);
            }
            else if (item.Type.Version != type.Version)
            {
                ObjectWriter.ForVersion(item.Clone(), type).WriteTo(writer);
            }
            else
            {
                writer.WriteRawValue(item.Json, skipInputValidation: true);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(http.RequestAborted);
    }

    private async Task DeleteCollectionAsync(HttpContext http, ResourceType type, string ns, DeleteRequest options, WriteContext ctx)
    {
        var (labels, fields) = Selectors(http, type);
        var deleted = new JsonArray();
        var (all, _) = Store.List(type.StorageKey, ns);
        foreach (var o in all.Where(o => labels(o.Labels) && fields(o.Fields)))
        {
            lock (Store.Sync)
            {
                var current = Store.Get(type.StorageKey, o.Namespace, o.Name);
                if (current is null)
                {
                    continue;
                }

                var (_, body) = Writer.DeleteLocked(type, current, options, ctx);
                deleted.Add(body["kind"]?.GetValue<string>() == "Status" ? ObjectWriter.ForVersion(current.Clone(), type) : body.DeepClone());
            }
        }

        await WriteJsonAsync(http, 200, new JsonObject
        {
            ["kind"] = type.ListKind,
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = Store.CurrentResourceVersion.ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        });
    }

    // ------------------------------------------------------------------ writing responses

    internal async Task WriteObjectAsync(HttpContext http, int code, ResourceType type, JsonObject obj, WriteContext ctx)
    {
        foreach (var w in ctx.Warnings.Distinct())
        {
            http.Response.Headers.Append("Warning", "299 - " + JsonSerializer.Serialize(w, JsonOptions.Compact));
        }

        var accept = AcceptInfo.Parse(http.Request.Headers.Accept);
        if (accept.Shape == ResponseShape.Table)
        {
            await WriteJsonAsync(http, code, _core.Tables.ToTable(type, [obj], IncludeObject(http), obj["metadata"]?["resourceVersion"]?.GetValue<string>() ?? string.Empty, true, null, accept.TableApiVersion));
            return;
        }

        if (ctx.Committed is { } stored && ReferenceEquals(ctx.CommittedObject, obj))
        {
            // The frozen stored instance: its JSON was serialized once at commit.
            await WriteJsonBytesAsync(http, code, stored.Json);
            return;
        }

        await WriteJsonAsync(http, code, obj);
    }

    internal static Task WriteJsonAsync(HttpContext http, int code, JsonNode body, string contentType = "application/json") =>
        WriteJsonBytesAsync(http, code, JsonSerializer.SerializeToUtf8Bytes(body, JsonOptions.Compact), contentType);

    /// <summary>Writes serialized JSON plus a newline as the whole response, in one write and one flush.</summary>
    internal static async Task WriteJsonBytesAsync(HttpContext http, int code, ReadOnlyMemory<byte> json, string contentType = "application/json")
    {
        http.Response.StatusCode = code;
        http.Response.ContentType = contentType;
        http.Response.ContentLength = json.Length + 1;
        var writer = http.Response.BodyWriter;
        var span = writer.GetSpan(json.Length + 1);
        json.Span.CopyTo(span);
        span[json.Length] = (byte)'\n';
        writer.Advance(json.Length + 1);
        await writer.FlushAsync(http.RequestAborted);
    }

    internal static async Task WriteErrorAsync(HttpContext http, KubeApiException e)
    {
        if (http.Response.HasStarted)
        {
            return;
        }

        await WriteJsonAsync(http, e.Code, e.ToStatus());
    }
}

/// <summary>Opaque list continuation tokens: base64 of the last key and the list's resourceVersion.</summary>
internal static class ContinueToken
{
    public static string Encode(string lastKey, long rv) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = rv, ["start"] = lastKey }.ToJsonString()));

    public static (string StartAfter, long Rv) Decode(string token)
    {
        try
        {
            var obj = JsonNode.Parse(Convert.FromBase64String(token))!.AsObject();
            return (obj["start"]!.GetValue<string>(), JsonPath.AsLong(obj["rv"]) ?? 0);
        }
        catch (Exception e) when (e is FormatException or JsonException or NullReferenceException or InvalidOperationException)
        {
            throw KubeApiException.BadRequest("continue key is not valid: " + e.Message);
        }
    }
}
