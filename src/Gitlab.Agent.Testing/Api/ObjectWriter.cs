using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Registry;
using Gitlab.Agent.Testing.Server;
using Gitlab.Agent.Testing.Storage;

namespace Gitlab.Agent.Testing.Api;

/// <summary>
/// Create, update, patch and delete with kube-apiserver semantics: server-owned metadata, status split, generation,
/// managedFields, finalizers, preconditions, no-op detection and dry run. Used by HTTP handlers and controllers alike.
/// </summary>
internal sealed class ObjectWriter
{
    private const string NameChars = "bcdfghjklmnpqrstvwxz2456789";
    private readonly ObjectStore _store;
    private readonly ResourceRegistry _registry;
    private readonly TimeProvider _time;

    public ObjectWriter(ObjectStore store, ResourceRegistry registry, TimeProvider time)
    {
        _store = store;
        _registry = registry;
        _time = time;
    }

    public string Now() => FormatTime(_time.GetUtcNow());

    public static string FormatTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- create

    /// <summary>
    /// POST: creates an object in <paramref name="ns"/> (empty for cluster-scoped kinds). With
    /// <paramref name="bodyIsPrivate"/> the caller hands <paramref name="body"/> over (it is not copied and may become
    /// the stored object).
    /// </summary>
    public JsonObject Create(ResourceType type, string ns, JsonObject body, WriteContext ctx, bool bodyIsPrivate = false)
    {
        CheckKind(type, body);
        ValidateFields(type, body, ctx, isPatch: false);
        var meta = KindRules.Meta(body);
        AlignNamespace(type, ns, meta);
        var obj = bodyIsPrivate ? body : body.DeepClone().AsObject();
        string? generateName = null;
        if (string.IsNullOrEmpty(KindRules.Name(obj)))
        {
            generateName = meta["generateName"]?.GetValue<string>();
            if (string.IsNullOrEmpty(generateName))
            {
                throw KubeApiException.Invalid(type.Group, type.Kind, string.Empty,
                    [FieldError.Required("metadata.name", "name or generateName is required")]);
            }

            KindRules.Meta(obj)["name"] = GenerateName(generateName);
        }

        // The expensive part (defaults, validation, managedFields) runs outside the store lock.
        CheckNamespaceForCreate(type, ns, KindRules.Name(obj));
        var prepared = PrepareCreate(type, ns, obj, ctx, recordManager: true);
        lock (_store.Sync)
        {
            var name = KindRules.Name(prepared);
            while (generateName is not null && _store.Get(type.StorageKey, ns, name) is not null)
            {
                name = GenerateName(generateName);
                KindRules.Meta(prepared)["name"] = name;
            }

            if (_store.Get(type.StorageKey, ns, name) is not null)
            {
                throw KubeApiException.AlreadyExists(type.Group, type.Plural, name);
            }

            CheckNamespaceForCreate(type, ns, name);
            return Commit(type, null, prepared, ctx, out _);
        }
    }

    private static string GenerateName(string prefix) =>
        prefix + new string(Enumerable.Range(0, 5).Select(_ => NameChars[Random.Shared.Next(NameChars.Length)]).ToArray());

    /// <summary>
    /// Optimistic read-modify-write (the apiserver's GuaranteedUpdate): <paramref name="compute"/> runs outside the
    /// store lock on a snapshot; the result is committed only if the object did not change meanwhile, else it is recomputed.
    /// </summary>
    private T UpdateWithRetry<T>(ResourceType type, string ns, string name, Func<StoredObject?, (JsonObject? Proposed, T Result)> compute, Func<StoredObject?, JsonObject, T> commit)
    {
        for (var attempt = 0; ; attempt++)
        {
            var snapshot = _store.Get(type.StorageKey, ns, name);
            var (proposed, result) = compute(snapshot);
            if (proposed is null)
            {
                return result;
            }

            lock (_store.Sync)
            {
                if (ReferenceEquals(_store.Get(type.StorageKey, ns, name), snapshot))
                {
                    return commit(snapshot, proposed);
                }
            }

            if (attempt >= 100)
            {
                throw KubeApiException.StaleResourceVersion(type.Group, type.Plural, name);
            }
        }
    }

    private JsonObject PrepareCreate(ResourceType type, string ns, JsonObject obj, WriteContext ctx, bool recordManager)
    {
        var meta = KindRules.Meta(obj);
        if (meta["resourceVersion"] is JsonValue rv && rv.TryGetValue<string>(out var rvs) && rvs.Length > 0)
        {
            throw KubeApiException.Internal("resourceVersion should not be set on objects to be created");
        }

        obj["apiVersion"] = type.ApiVersion;
        obj["kind"] = type.Kind;
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = Now();
        meta.Remove("deletionTimestamp");
        meta.Remove("deletionGracePeriodSeconds");
        meta.Remove("selfLink");
        if (type.HasGeneration)
        {
            meta["generation"] = 1;
        }
        else
        {
            meta.Remove("generation");
        }

        if (meta["finalizers"] is JsonArray { Count: 0 })
        {
            meta.Remove("finalizers");
        }

        if (type.GroupKind == "apiextensions.k8s.io/CustomResourceDefinition")
        {
            var fin = meta["finalizers"] as JsonArray ?? new JsonArray();
            if (!fin.Any(f => f?.GetValue<string>() == "customresourcecleanup.apiextensions.k8s.io"))
            {
                fin.Add("customresourcecleanup.apiextensions.k8s.io");
            }

            meta["finalizers"] = fin;
        }

        KindRules.ResetStatusForCreate(type, obj);
        KindRules.ApplyDefaults(type, obj);
        Validate(type, obj, null);
        if (recordManager)
        {
            obj = SemanticsBridge.RecordUpdate(null, obj, ctx.FieldManager, type, _time.GetUtcNow(), null);
        }

        return obj;
    }

    private void CheckNamespaceForCreate(ResourceType type, string ns, string name)
    {
        if (!type.Namespaced)
        {
            return;
        }

        var nsType = _registry.FindByStorageKey("/namespaces")!;
        var nsObj = _store.Get(nsType.StorageKey, string.Empty, ns) ?? throw KubeApiException.NotFound(string.Empty, "namespaces", ns);
        if (nsObj.DeletionRequested)
        {
            throw KubeApiException.Forbidden(type.Group, type.Plural, name,
                $"unable to create new content in namespace {ns} because it is being terminated",
                new JsonArray(new JsonObject { ["reason"] = "NamespaceTerminating", ["message"] = $"namespace {ns} is being terminated", ["field"] = "metadata.namespace" }));
        }
    }

    // ---------------------------------------------------------------- update (PUT)

    /// <summary>PUT on the object or its status subresource.</summary>
    public JsonObject Update(ResourceType type, string ns, string name, JsonObject body, string? subresource, WriteContext ctx)
    {
        CheckKind(type, body);
        ValidateFields(type, body, ctx, isPatch: false);
        var meta = KindRules.Meta(body);
        AlignNamespace(type, ns, meta);
        var bodyName = meta["name"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(bodyName) && bodyName != name)
        {
            throw KubeApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        meta["name"] = name;
        var wantedRv = meta["resourceVersion"]?.GetValue<string>();
        return UpdateWithRetry(type, ns, name,
            current =>
            {
                if (current is null)
                {
                    throw KubeApiException.NotFound(type.Group, type.Plural, name);
                }

                if (!string.IsNullOrEmpty(wantedRv) && wantedRv != current.ResourceVersion.ToString(CultureInfo.InvariantCulture))
                {
                    throw KubeApiException.StaleResourceVersion(type.Group, type.Plural, name);
                }

                return (PrepareUpdate(type, current, body.DeepClone().AsObject(), subresource, ctx, recordManager: true), (JsonObject?)null);
            },
            (current, proposed) => Commit(type, current, proposed, ctx, out _))!;
    }

    /// <summary>Applies server rules to a proposed new state of <paramref name="current"/>.</summary>
    private JsonObject PrepareUpdate(ResourceType type, StoredObject current, JsonObject proposed, string? subresource, WriteContext ctx, bool recordManager)
    {
        var old = current.Object;
        ctx.Parsed = new ParsedSnapshot(current, old); // only read from here on
        var oldMeta = (JsonObject)old["metadata"]!;
        JsonObject result;
        if (subresource == "status")
        {
            // Only .status (and managedFields bookkeeping) changes through /status.
            result = old.DeepClone().AsObject();
            if (proposed["status"] is JsonNode st)
            {
                result["status"] = st.DeepClone();
            }
            else
            {
                result.Remove("status");
            }
        }
        else
        {
            result = proposed;
            if (type.HasStatus)
            {
                if (old["status"] is JsonNode st)
                {
                    result["status"] = st.DeepClone();
                }
                else
                {
                    result.Remove("status");
                }
            }
        }

        result["apiVersion"] = type.ApiVersion;
        result["kind"] = type.Kind;
        var meta = KindRules.Meta(result);
        foreach (var key in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
        {
            if (oldMeta[key] is JsonNode v)
            {
                meta[key] = v.DeepClone();
            }
            else
            {
                meta.Remove(key);
            }
        }

        meta["name"] = current.Name;
        if (type.Namespaced)
        {
            meta["namespace"] = current.Namespace;
        }
        else
        {
            meta.Remove("namespace");
        }

        meta.Remove("selfLink");
        if (meta["finalizers"] is JsonArray { Count: 0 })
        {
            meta.Remove("finalizers");
        }

        KindRules.ApplyDefaults(type, result);
        if (current.DeletionRequested)
        {
            var oldFin = current.Finalizers;
            var added = (meta["finalizers"] as JsonArray)?.Select(f => f?.GetValue<string>()).Where(f => f is not null && !oldFin.Contains(f)).ToList();
            if (added is { Count: > 0 })
            {
                throw KubeApiException.Invalid(type.Group, type.Kind, current.Name,
                    [FieldError.Forbidden("metadata.finalizers", "no new finalizers can be added if the object is being deleted, found new finalizers []string{" + string.Join(", ", added.Select(a => "\"" + a + "\"")) + "}")]);
            }
        }

        if (type.HasGeneration && subresource != "status")
        {
            var gen = JsonPath.ReadLong(old, "metadata.generation") ?? 1;
            if (!EqualWithoutMetaAndStatus(old, result))
            {
                gen++;
            }

            meta["generation"] = gen;
        }

        Validate(type, result, old);
        if (recordManager)
        {
            result = SemanticsBridge.RecordUpdate(old, result, ctx.FieldManager, type, _time.GetUtcNow(), subresource);
        }

        return result;
    }

    /// <summary>Whether both objects are equal apart from metadata, status, apiVersion and kind (compared in place, no copies).</summary>
    private static bool EqualWithoutMetaAndStatus(JsonObject a, JsonObject b)
    {
        static bool Ignored(string key) => key is "metadata" or "status" or "apiVersion" or "kind";
        var countA = 0;
        foreach (var (key, value) in a)
        {
            if (Ignored(key))
            {
                continue;
            }

            countA++;
            if (!b.TryGetPropertyValue(key, out var other) || !JsonNode.DeepEquals(value, other))
            {
                return false;
            }
        }

        var countB = 0;
        foreach (var (key, _) in b)
        {
            if (!Ignored(key))
            {
                countB++;
            }
        }

        return countA == countB;
    }

    /// <summary>
    /// Read-modify-write used by controllers and subresources: <paramref name="mutate"/> edits a copy of the current
    /// object and returns false when there is nothing to change. Returns the written object, or null for no change/missing.
    /// </summary>
    public JsonObject? Mutate(ResourceType type, string ns, string name, string? subresource, WriteContext ctx, Func<JsonObject, bool> mutate, string? expectedResourceVersion = null)
    {
        return UpdateWithRetry(type, ns, name,
            current =>
            {
                if (current is null)
                {
                    return ((JsonObject?)null, (JsonObject?)null);
                }

                if (!string.IsNullOrEmpty(expectedResourceVersion) && expectedResourceVersion != current.ResourceVersion.ToString(CultureInfo.InvariantCulture))
                {
                    throw KubeApiException.StaleResourceVersion(type.Group, type.Plural, name);
                }

                var copy = current.Clone();
                if (!mutate(copy))
                {
                    return (null, null);
                }

                return (PrepareUpdate(type, current, copy, subresource, ctx, recordManager: true), null);
            },
            (current, proposed) => Commit(type, current, proposed, ctx, out _));
    }

    // ---------------------------------------------------------------- patch

    /// <summary>PATCH with one of the four patch types (media type without parameters).</summary>
    public (JsonObject Object, bool Created) Patch(ResourceType type, string ns, string name, string patchType, byte[] body, string? subresource, WriteContext ctx)
    {
        if (patchType != PatchTypes.Apply && ctx.Force)
        {
            throw KubeApiException.Invalid("meta.k8s.io", "PatchOptions", string.Empty, [FieldError.Forbidden("force", "may not be specified for non-apply patch")]);
        }

        if (patchType == PatchTypes.Apply)
        {
            if (!ctx.FieldManagerGiven)
            {
                throw KubeApiException.Invalid("meta.k8s.io", "PatchOptions", string.Empty, [FieldError.Required("fieldManager", "is required for apply patch")]);
            }

            return ApplyPatch(type, ns, name, body, subresource, ctx);
        }

        if (patchType == PatchTypes.Strategic && type.IsCustom)
        {
            throw UnsupportedPatch(type);
        }

        JsonNode patch;
        try
        {
            patch = JsonNode.Parse(body) ?? throw KubeApiException.BadRequest("the request body is empty");
        }
        catch (JsonException e)
        {
            throw KubeApiException.BadRequest($"error decoding patch: {e.Message}");
        }

        var result = UpdateWithRetry(type, ns, name,
            current =>
            {
                if (current is null)
                {
                    throw KubeApiException.NotFound(type.Group, type.Plural, name);
                }

                var original = current.Clone();
                JsonObject patched;
                switch (patchType)
                {
                    case PatchTypes.Json:
                        if (patch is not JsonArray ops)
                        {
                            throw KubeApiException.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
                        }

                        patched = SemanticsBridge.JsonPatch(original, ops) as JsonObject
                            ?? throw new KubeApiException(422, "Invalid", "the server rejected our request due to an error in our request", new JsonObject());
                        break;
                    case PatchTypes.Merge:
                        patched = SemanticsBridge.MergePatch(original, patch) as JsonObject
                            ?? throw KubeApiException.BadRequest("patch produced an empty object");
                        break;
                    case PatchTypes.Strategic:
                        if (patch is not JsonObject smp)
                        {
                            throw KubeApiException.BadRequest("json: cannot unmarshal array into Go value of type map[string]interface {}");
                        }

                        patched = SemanticsBridge.StrategicMerge(original, smp, type);
                        break;
                    default:
                        throw UnsupportedPatch(type);
                }

                var patchedRv = patched["metadata"]?["resourceVersion"]?.GetValue<string>();
                if (!string.IsNullOrEmpty(patchedRv) && patchedRv != current.ResourceVersion.ToString(CultureInfo.InvariantCulture))
                {
                    throw KubeApiException.StaleResourceVersion(type.Group, type.Plural, name);
                }

                var patchedName = patched["metadata"]?["name"]?.GetValue<string>();
                if (patchedName != name)
                {
                    throw KubeApiException.BadRequest($"the name of the object ({patchedName}) does not match the name on the URL ({name})");
                }

                ValidateFields(type, patched, ctx, isPatch: true);
                return (PrepareUpdate(type, current, patched, subresource, ctx, recordManager: true), (JsonObject?)null);
            },
            (current, proposed) => Commit(type, current, proposed, ctx, out _))!;
        return (result, false);
    }

    private static KubeApiException UnsupportedPatch(ResourceType type) => KubeApiException.UnsupportedMediaType(
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
        + (type.IsCustom ? string.Empty : ", application/strategic-merge-patch+json"));

    private (JsonObject Object, bool Created) ApplyPatch(ResourceType type, string ns, string name, byte[] body, string? subresource, WriteContext ctx)
    {
        JsonObject config;
        try
        {
            config = YamlJson.ParseObject(body);
        }
        catch (Exception e) when (e is not KubeApiException)
        {
            throw KubeApiException.BadRequest($"error decoding YAML: {e.Message}");
        }

        var configMeta = KindRules.Meta(config);
        var cfgName = configMeta["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(cfgName))
        {
            configMeta["name"] = name;
        }
        else if (cfgName != name)
        {
            throw KubeApiException.BadRequest($"the name of the object ({cfgName}) does not match the name on the URL ({name})");
        }

        AlignNamespace(type, ns, configMeta);
        CheckApplyKind(type, config);

        // Unknown fields fail SSA whatever fieldValidation says (structured-merge-diff cannot type them).
        if (type.Schema is not null)
        {
            var unknown = new List<UnknownField>();
            type.Schema.CollectUnknown(config, string.Empty, unknown);
            if (unknown.Count > 0)
            {
                var gvk = $"{type.ApiVersion}, Kind={type.Kind}";
                if (type.Group.Length == 0)
                {
                    gvk = "/" + gvk;
                }

                throw new KubeApiException(500, string.Empty,
                    $"failed to create typed patch object ({(type.Namespaced ? ns : string.Empty)}/{name}; {gvk}): "
                    + string.Join("\n", unknown.Select(u => $"{u.SsaPath}: field not declared in schema")));
            }
        }

        // Fields outside the addressed part are reset: main resource ignores status, /status only takes status.
        if (subresource == "status")
        {
            foreach (var key in config.Select(p => p.Key).Where(k => k is not ("apiVersion" or "kind" or "metadata" or "status")).ToList())
            {
                config.Remove(key);
            }
        }
        else if (type.HasStatus)
        {
            config.Remove("status");
        }

        var wantedRv = configMeta["resourceVersion"]?.GetValue<string>();
        return UpdateWithRetry(type, ns, name,
            current =>
            {
                if (current is not null)
                {
                    if (!string.IsNullOrEmpty(wantedRv) && wantedRv != current.ResourceVersion.ToString(CultureInfo.InvariantCulture))
                    {
                        throw KubeApiException.StaleResourceVersion(type.Group, type.Plural, name);
                    }
                }
                else if (subresource is not null)
                {
                    throw KubeApiException.NotFound(type.Group, type.Plural, name);
                }

                var merged = SemanticsBridge.Apply(current?.Clone(), config, ctx.FieldManager, ctx.Force, type, _time.GetUtcNow(), subresource);
                if (current is null)
                {
                    merged["apiVersion"] = type.ApiVersion;
                    merged["kind"] = type.Kind;
                    KindRules.Meta(merged).Remove("resourceVersion");
                    CheckNamespaceForCreate(type, ns, name);
                    return (PrepareCreate(type, ns, merged, ctx, recordManager: false), (Object: (JsonObject?)null, Created: true));
                }

                return (PrepareUpdate(type, current, merged, subresource, ctx, recordManager: false), (Object: (JsonObject?)null, Created: false));
            },
            (current, proposed) =>
            {
                if (current is null)
                {
                    CheckNamespaceForCreate(type, ns, name);
                }

                return (Commit(type, current, proposed, ctx, out _), current is null);
            })!;
    }

    // ---------------------------------------------------------------- commit

    /// <summary>
    /// Stores <paramref name="proposed"/> unless it equals the current state (no-op: no RV bump, no event). Objects whose
    /// deletion was requested and whose finalizers are now empty are removed. Caller holds the store lock.
    /// </summary>
    public JsonObject Commit(ResourceType type, StoredObject? current, JsonObject proposed, WriteContext ctx, out StoredObject? stored)
    {
        stored = null;
        var meta = KindRules.Meta(proposed);
        if (current is not null)
        {
            // Only managedFields timestamps moved? Keep the old ones (apiserver IgnoreManagedFieldsTimestampsTransformer).
            var currentObject = ctx.Parsed is { } parsed && ReferenceEquals(parsed.Stored, current) ? parsed.Tree : current.Object;
            ctx.Parsed = null;
            var oldManaged = currentObject["metadata"]?["managedFields"];
            if (oldManaged is not null && meta["managedFields"] is JsonNode newManaged
                && EqualWithoutTimes(oldManaged, newManaged))
            {
                meta["managedFields"] = oldManaged.DeepClone();
            }

            meta["resourceVersion"] = current.ResourceVersion.ToString(CultureInfo.InvariantCulture);
            if (JsonNode.DeepEquals(currentObject, proposed))
            {
                stored = current;
                return Frozen(current, currentObject, type, ctx);
            }
        }

        var finishing = meta["deletionTimestamp"] is not null && (meta["finalizers"] is not JsonArray f || f.Count == 0)
            && (type.GroupKind != "/Namespace" || proposed["spec"]?["finalizers"] is not JsonArray { Count: > 0 });
        if (ctx.DryRun)
        {
            if (current is null)
            {
                meta.Remove("resourceVersion");
            }

            return ForVersion(proposed, type);
        }

        if (finishing && current is not null)
        {
            var updated = _store.Put(type, proposed, current);
            stored = updated;
            _store.Remove(updated);
            return ForVersion(updated.Clone(), type);
        }

        stored = _store.Put(type, proposed, current);
        return Frozen(stored, proposed, type, ctx);
    }

    /// <summary>
    /// The committed object as the client's version shows it. <paramref name="obj"/> is the tree
    /// <paramref name="stored"/> was serialized from (or parsed from it); when the client's version is the stored one it
    /// is returned and remembered in <see cref="WriteContext.CommittedObject"/>, so the response reuses the stored bytes.
    /// </summary>
    private static JsonObject Frozen(StoredObject stored, JsonObject obj, ResourceType type, WriteContext ctx)
    {
        if (stored.Type.Version == type.Version)
        {
            ctx.Committed = stored;
            ctx.CommittedObject = obj;
            return obj;
        }

        return ForVersion(stored.Clone(), type);
    }

    /// <summary>Whether two managedFields lists are equal apart from the entries' <c>time</c> (compared in place, no copies).</summary>
    private static bool EqualWithoutTimes(JsonNode oldManaged, JsonNode newManaged)
    {
        if (oldManaged is not JsonArray a || newManaged is not JsonArray b)
        {
            return JsonNode.DeepEquals(oldManaged, newManaged);
        }

        if (a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (a[i] is JsonObject ea && b[i] is JsonObject eb)
            {
                var countA = 0;
                foreach (var (key, value) in ea)
                {
                    if (key == "time")
                    {
                        continue;
                    }

                    countA++;
                    if (!eb.TryGetPropertyValue(key, out var other) || !JsonNode.DeepEquals(value, other))
                    {
                        return false;
                    }
                }

                var countB = eb.Count - (eb.ContainsKey("time") ? 1 : 0);
                if (countA != countB)
                {
                    return false;
                }
            }
            else if (!JsonNode.DeepEquals(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Sets apiVersion to the served version the client addressed (all versions share storage, conversion None).</summary>
    public static JsonObject ForVersion(JsonObject obj, ResourceType type)
    {
        obj["apiVersion"] = type.ApiVersion;
        return obj;
    }

    // ---------------------------------------------------------------- delete

    /// <summary>DELETE: returns the HTTP status and body (Status or object) as kube-apiserver would.</summary>
    public (int Code, JsonObject Body) Delete(ResourceType type, string ns, string name, DeleteRequest options, WriteContext ctx)
    {
        if (type.GroupKind == "/Namespace" && name is "default" or "kube-system" or "kube-public")
        {
            throw KubeApiException.Forbidden(string.Empty, "namespaces", name, "this namespace may not be deleted");
        }

        lock (_store.Sync)
        {
            var current = _store.Get(type.StorageKey, ns, name) ?? throw KubeApiException.NotFound(type.Group, type.Plural, name);
            return DeleteLocked(type, current, options, ctx);
        }
    }

    /// <summary>Deletes <paramref name="current"/>; caller holds the store lock.</summary>
    public (int Code, JsonObject Body) DeleteLocked(ResourceType type, StoredObject current, DeleteRequest options, WriteContext ctx)
    {
        if (options.PreconditionUid is { } uid && uid != current.Uid)
        {
            throw KubeApiException.Conflict(type.Group, type.Plural, current.Name,
                $"Precondition failed: UID in precondition: {uid}, UID in object meta: {current.Uid}");
        }

        if (options.PreconditionResourceVersion is { } prv && prv != current.ResourceVersion.ToString(CultureInfo.InvariantCulture))
        {
            throw KubeApiException.Conflict(type.Group, type.Plural, current.Name,
                $"Precondition failed: ResourceVersion in precondition: {prv}, ResourceVersion in object meta: {current.ResourceVersion}");
        }

        var policy = options.PropagationPolicy ?? DefaultPolicy(type);
        var obj = current.Clone();
        var meta = KindRules.Meta(obj);
        var finalizers = (meta["finalizers"] as JsonArray)?.Select(f => f!.GetValue<string>()).ToList() ?? [];
        var isNamespace = type.GroupKind == "/Namespace";
        if (policy == "Foreground" && !finalizers.Contains("foregroundDeletion"))
        {
            finalizers.Remove("orphan");
            finalizers.Add("foregroundDeletion");
        }
        else if (policy == "Orphan" && !finalizers.Contains("orphan"))
        {
            finalizers.Remove("foregroundDeletion");
            finalizers.Add("orphan");
        }

        var pending = finalizers.Count > 0 || (isNamespace && obj["spec"]?["finalizers"] is JsonArray { Count: > 0 });
        if (!pending)
        {
            if (ctx.DryRun)
            {
                return type.ReturnDeletedObject ? (200, ForVersion(obj, type)) : (200, SuccessStatus(type, current));
            }

            var last = _store.Remove(current);
            return type.ReturnDeletedObject ? (200, ForVersion(last.Clone(), type)) : (200, SuccessStatus(type, current));
        }

        if (meta["deletionTimestamp"] is null)
        {
            meta["deletionTimestamp"] = Now();
            meta["deletionGracePeriodSeconds"] = 0;
            if (type.HasGeneration)
            {
                meta["generation"] = (JsonPath.ReadLong(obj, "metadata.generation") ?? 1) + 1;
            }
        }

        meta["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode)f).ToArray());
        if (isNamespace)
        {
            KindRules.Ensure(obj, "status")["phase"] = "Terminating";
        }

        if (meta["finalizers"] is JsonArray { Count: 0 })
        {
            meta.Remove("finalizers");
        }

        var result = ctx.DryRun ? ForVersion(obj, type) : Commit(type, current, obj, ctx, out _);
        return (200, result);
    }

    private static string DefaultPolicy(ResourceType type) => type.GroupKind is "batch/Job" or "batch/CronJob" ? "Orphan" : "Background";

    private static JsonObject SuccessStatus(ResourceType type, StoredObject current)
    {
        var details = new JsonObject { ["name"] = current.Name };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Plural;
        details["uid"] = current.Uid;
        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }

    // ---------------------------------------------------------------- shared checks

    private static void AlignNamespace(ResourceType type, string ns, JsonObject meta)
    {
        if (!type.Namespaced)
        {
            meta.Remove("namespace");
            return;
        }

        var bodyNs = meta["namespace"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(bodyNs) && bodyNs != ns)
        {
            throw KubeApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        meta["namespace"] = ns;
    }

    private static void CheckKind(ResourceType type, JsonObject body)
    {
        var kind = body["kind"]?.GetValue<string>();
        var apiVersion = body["apiVersion"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(kind) && kind != type.Kind)
        {
            throw KubeApiException.BadRequest($"{kind} in version \"{Version(apiVersion)}\" cannot be handled as a {type.Kind}: no kind \"{kind}\" is registered for version \"{apiVersion}\" in scheme \"pkg/runtime/scheme.go:100\"");
        }

        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != type.ApiVersion)
        {
            throw KubeApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.ApiVersion})");
        }
    }

    private static void CheckApplyKind(ResourceType type, JsonObject body)
    {
        var kind = body["kind"]?.GetValue<string>();
        var apiVersion = body["apiVersion"]?.GetValue<string>();
        if (string.IsNullOrEmpty(kind) || string.IsNullOrEmpty(apiVersion))
        {
            throw KubeApiException.BadRequest("error decoding YAML: Object 'Kind' is missing in '" + body.ToJsonString() + "'");
        }

        CheckKind(type, body);
    }

    private static string Version(string? apiVersion) => apiVersion is null ? string.Empty : apiVersion[(apiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..];

    /// <summary>fieldValidation: Strict rejects unknown fields, Warn reports them as warnings, Ignore drops them silently.</summary>
    private static void ValidateFields(ResourceType type, JsonObject obj, WriteContext ctx, bool isPatch)
    {
        if (type.Schema is null)
        {
            return;
        }

        var unknown = new List<UnknownField>();
        type.Schema.CollectUnknown(obj, string.Empty, unknown);
        if (unknown.Count == 0)
        {
            return;
        }

        if (ctx.FieldValidation == "Strict")
        {
            var list = string.Join(", ", unknown.Select(u => $"unknown field \"{u.Path}\""));
            throw KubeApiException.BadRequest(isPatch
                ? $"strict decoding error: {list}"
                : $"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: strict decoding error: {list}");
        }

        if (ctx.FieldValidation == "Warn")
        {
            ctx.Warnings.AddRange(unknown.Select(u => $"unknown field \"{u.Path}\""));
        }

        type.Schema.Prune(obj);
    }

    private static void Validate(ResourceType type, JsonObject obj, JsonObject? old)
    {
        var errors = KindRules.Validate(type, obj, old);
        if (errors.Count > 0)
        {
            throw KubeApiException.Invalid(type.Group, type.Kind, KindRules.Name(obj), errors);
        }
    }
}

/// <summary>The four PATCH media types.</summary>
internal static class PatchTypes
{
    public const string Json = "application/json-patch+json";
    public const string Merge = "application/merge-patch+json";
    public const string Strategic = "application/strategic-merge-patch+json";
    public const string Apply = "application/apply-patch+yaml";
}

/// <summary>DeleteOptions of one request.</summary>
internal sealed record DeleteRequest(string? PropagationPolicy, string? PreconditionUid, string? PreconditionResourceVersion, long? GracePeriodSeconds);
