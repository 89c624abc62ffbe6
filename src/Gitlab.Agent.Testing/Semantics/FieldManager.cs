using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>
/// Server-side apply and managedFields tracking, following the apiserver's field manager stack
/// (structured-merge-diff updater, strip-meta, managed-fields updater, last-applied manager/updater):
/// apply merges a configuration by list types, owns exactly what it sends, prunes what its manager stopped
/// sending unless someone else owns it, and reports conflicts with other managers unless forced; every other
/// write records an <c>Update</c> entry for the fields it changed.
/// </summary>
internal static class FieldManager
{
    /// <summary>Annotation of client-side apply.</summary>
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    private const string BeforeFirstApplyManager = "before-first-apply";
    private const string AncientChangesManager = "ancient-changes";
    private const int MaxUpdateManagers = 10;
    private const int FieldManagerMaxLength = 128;

    private static readonly FieldPath[] StrippedPaths =
    [
        FieldPath.Fields("apiVersion"),
        FieldPath.Fields("kind"),
        FieldPath.Fields("metadata"),
        FieldPath.Fields("metadata", "name"),
        FieldPath.Fields("metadata", "namespace"),
        FieldPath.Fields("metadata", "creationTimestamp"),
        FieldPath.Fields("metadata", "selfLink"),
        FieldPath.Fields("metadata", "uid"),
        FieldPath.Fields("metadata", "clusterName"),
        FieldPath.Fields("metadata", "generation"),
        FieldPath.Fields("metadata", "managedFields"),
        FieldPath.Fields("metadata", "resourceVersion"),
    ];

    private static readonly FieldPath StatusPath = FieldPath.Fields("status");

    /// <summary>
    /// Server-side apply of <paramref name="applyConfig"/> onto <paramref name="live"/> (null: the object does not
    /// exist and is created). On success the result's object carries the new <c>metadata.managedFields</c>.
    /// </summary>
    /// <exception cref="PatchException">
    /// 400 when the configuration's apiVersion differs from <paramref name="apiVersion"/> or it carries managedFields;
    /// 500 when a list-map item lacks its keys (as the apiserver's "failed to create typed patch object").
    /// </exception>
    public static ApplyResult Apply(JsonObject? live, JsonObject applyConfig, string manager, bool force, TypeSchema schema, DateTimeOffset now, string apiVersion, string? subresource = null)
    {
        var configVersion = applyConfig["apiVersion"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : "";
        if (configVersion != apiVersion)
        {
            throw PatchException.BadRequest($"Incorrect version specified in apply patch. Specified patch version: {configVersion}, expected: {apiVersion}");
        }

        if (applyConfig["metadata"] is JsonObject configMeta && configMeta.ContainsKey("managedFields"))
        {
            throw PatchException.BadRequest("metadata.managedFields must be nil");
        }

        var root = schema.Root;
        var liveObject = live is null ? [] : WithoutManagedFields(live);
        var entries = ManagedFieldsEntry.DecodeAll(live?["metadata"]?["managedFields"]);
        if (live is not null && entries.Count == 0)
        {
            var existing = Filter(ObjectWalker.ToFieldSet(liveObject, root, strict: false), schema, subresource);
            if (!existing.IsEmpty)
            {
                entries.Add(new ManagedFieldsEntry { Manager = BeforeFirstApplyManager, Operation = ManagedFieldsEntry.UpdateOperation, ApiVersion = apiVersion, Fields = existing });
            }
        }

        JsonObject merged;
        FieldSet appliedFull;
        try
        {
            appliedFull = ObjectWalker.ToFieldSet(applyConfig, root, strict: true);
            merged = ObjectWalker.Merge(liveObject, applyConfig, root);
        }
        catch (ObjectWalker.TypeMismatchException e)
        {
            throw new PatchException($"failed to create typed patch object ({Gvk(applyConfig)}): {e.Message}") { StatusCode = 500 };
        }

        // An explicit null sets a scalar or atomic field to null, which the typed round trip then drops.
        foreach (var nullPath in NullPaths(applyConfig))
        {
            if (ValueAt(merged, nullPath) is null)
            {
                ObjectWalker.Remove(merged, nullPath, root);
            }
        }

        var applied = Filter(appliedFull, schema, subresource);
        var identity = new ManagedFieldsEntry { Manager = manager, Operation = ManagedFieldsEntry.ApplyOperation, ApiVersion = apiVersion, Subresource = subresource, Fields = applied }.Identity;
        var previous = entries.FirstOrDefault(e => e.Identity == identity);
        var others = entries.Where(e => e.Identity != identity).ToList();

        if (previous is not null)
        {
            Prune(merged, previous.Fields, appliedFull, others, root);
        }

        merged = ResetFields(merged, liveObject, schema, subresource);

        var (added, modified, _) = ObjectWalker.Compare(liveObject, merged, root);
        var changed = Filter(added.Union(modified), schema, subresource);
        var conflicts = FindConflicts(others, changed, apiVersion);
        if (conflicts.Count > 0 && !force)
        {
            if (manager == "kubectl")
            {
                var allowed = AllowedConflictsFromLastApplied(liveObject, root);
                conflicts = conflicts.Where(c => !allowed.Contains(c.Path)).ToList();
            }

            if (conflicts.Count > 0)
            {
                return new ApplyResult(null, conflicts, changed: false);
            }
        }

        foreach (var other in others)
        {
            other.Fields = other.Fields.Difference(changed);
        }

        var entry = previous ?? new ManagedFieldsEntry { Manager = manager, Operation = ManagedFieldsEntry.ApplyOperation, ApiVersion = apiVersion, Subresource = subresource, Fields = applied };
        entry.Fields = applied;
        entry.ApiVersion = apiVersion;
        var kept = others.Append(entry).Where(e => !e.Fields.IsEmpty).ToList();

        if (manager == "kubectl" && merged["metadata"]?["annotations"]?[LastAppliedAnnotation] is not null)
        {
            merged["metadata"]!["annotations"]![LastAppliedAnnotation] = BuildLastApplied(applyConfig);
        }

        var objectChanged = live is null || !JsonNode.DeepEquals(merged, liveObject);
        if (objectChanged || entry.Time is null)
        {
            entry.Time = ManagedFieldsEntry.FormatTime(now);
        }

        SetManagedFields(merged, kept);
        return new ApplyResult(merged, [], live is null || !JsonNode.DeepEquals(merged, live));
    }

    /// <summary>
    /// Records a non-apply write (create, update, patch): <paramref name="manager"/>'s <c>Update</c> entry gains the
    /// fields that changed between <paramref name="oldObject"/> (null on create) and <paramref name="newObject"/>, and
    /// other managers lose them. A client may replace managedFields by sending a non-empty list (a single empty
    /// entry clears them). Returns a copy of <paramref name="newObject"/> with managedFields set.
    /// </summary>
    public static JsonObject RecordUpdate(JsonObject? oldObject, JsonObject newObject, string manager, TypeSchema schema, DateTimeOffset now, string apiVersion, string? subresource = null)
        => RecordUpdateInPlace(oldObject, (JsonObject)newObject.DeepClone(), manager, schema, now, apiVersion, subresource);

    /// <summary>
    /// <see cref="RecordUpdate"/> that sets managedFields on <paramref name="newObject"/> itself (the caller's private
    /// copy) and returns it. <paramref name="oldObject"/> is only read.
    /// </summary>
    public static JsonObject RecordUpdateInPlace(JsonObject? oldObject, JsonObject newObject, string manager, TypeSchema schema, DateTimeOffset now, string apiVersion, string? subresource = null)
    {
        var root = schema.Root;
        var sentManagedFields = newObject["metadata"]?["managedFields"] as JsonArray;
        List<ManagedFieldsEntry> entries;
        if (subresource is null && sentManagedFields is { Count: > 0 })
        {
            entries = sentManagedFields is [JsonObject { Count: 0 }] ? [] : ManagedFieldsEntry.DecodeAll(sentManagedFields);
        }
        else
        {
            entries = ManagedFieldsEntry.DecodeAll(oldObject?["metadata"]?["managedFields"]);
        }

        // Compared as if managedFields were absent on both sides, without copying either object.
        var before = oldObject ?? schema.FrozenSkeleton;
        var (added, modified, _) = ObjectWalker.Compare(before, newObject, root, ignoreManagedFields: true);
        var changed = Filter(added, modified, schema, subresource);
        if (!changed.IsEmpty)
        {
            var mine = new ManagedFieldsEntry { Manager = manager, Operation = ManagedFieldsEntry.UpdateOperation, ApiVersion = apiVersion, Subresource = subresource, Fields = new FieldSet() };
            var myIdentity = mine.Identity;
            ManagedFieldsEntry? existing = null;
            foreach (var entry in entries)
            {
                if (entry.Identity == myIdentity)
                {
                    existing ??= entry;
                }
                else if (entry.Fields.Overlaps(changed))
                {
                    entry.Fields = entry.Fields.Difference(changed);
                }
            }

            if (existing is null)
            {
                entries.Add(mine);
                existing = mine;
            }

            existing.Fields = existing.Fields.IsEmpty ? changed : existing.Fields.Union(changed);
            existing.Time = ManagedFieldsEntry.FormatTime(now);
        }

        entries.RemoveAll(e => e.Fields.IsEmpty);
        SetManagedFields(newObject, entries);
        return newObject;
    }

    /// <summary>The conflict message of apimachinery <c>managedfields/internal/conflict.go</c>.</summary>
    public static string FormatConflictMessage(IReadOnlyList<ApplyConflict> conflicts, string apiVersion)
    {
        if (conflicts.Count == 1)
        {
            return $"Apply failed with 1 conflict: conflict with {conflicts[0].DescribeManager(apiVersion)}: {conflicts[0].Path}";
        }

        var messages = new List<string>();
        foreach (var group in conflicts.GroupBy(c => c.Identifier.Length > 0 ? c.Identifier : c.Manager).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            messages.Add($"conflicts with {group.First().DescribeManager(apiVersion)}:");
            messages.AddRange(group.Select(c => "- " + c.Path));
        }

        return $"Apply failed with {conflicts.Count} conflicts: {string.Join("\n", messages)}";
    }

    /// <summary>The 409 Status the apiserver answers for apply conflicts (<c>details</c> has only <c>causes</c>).</summary>
    public static JsonObject ConflictStatus(IReadOnlyList<ApplyConflict> conflicts, string apiVersion)
    {
        var causes = new JsonArray();
        foreach (var conflict in conflicts)
        {
            causes.Add(new JsonObject
            {
                ["reason"] = "FieldManagerConflict",
                ["message"] = "conflict with " + conflict.DescribeManager(apiVersion),
                ["field"] = conflict.Path,
            });
        }

        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = FormatConflictMessage(conflicts, apiVersion),
            ["reason"] = "Conflict",
            ["details"] = new JsonObject { ["causes"] = causes },
            ["code"] = 409,
        };
    }

    /// <summary>
    /// The manager the apiserver uses when a request has no <c>fieldManager</c>: the User-Agent up to the first
    /// <c>/</c>, without unprintable characters, at most 128 bytes.
    /// </summary>
    public static string DefaultManagerFromUserAgent(string? userAgent)
    {
        var prefix = (userAgent ?? "").Split('/')[0];
        var builder = new StringBuilder();
        var bytes = 0;
        foreach (var rune in prefix.EnumerateRunes())
        {
            if (Rune.IsControl(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned)
            {
                continue;
            }

            if (bytes + rune.Utf8SequenceLength > FieldManagerMaxLength)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            builder.Append(rune.ToString());
        }

        return builder.ToString();
    }

    /// <summary>Decoded managedFields of an object (for tests and diagnostics).</summary>
    public static IReadOnlyList<ManagedFieldsEntry> ReadManagedFields(JsonObject obj) => ManagedFieldsEntry.DecodeAll(obj["metadata"]?["managedFields"]);

    /// <summary>
    /// Removes what the applier owned before, no longer sends and nobody else owns; then parents of removed
    /// fields that were only there for them and are now empty.
    /// </summary>
    private static void Prune(JsonObject merged, FieldSet previous, FieldSet appliedFull, List<ManagedFieldsEntry> others, SchemaNode root)
    {
        var covered = appliedFull.PrefixClosure();
        foreach (var other in others)
        {
            covered.UnionWith(other.Fields.PrefixClosure());
        }

        var removed = new List<FieldPath>();
        foreach (var path in previous.Ordered().Where(p => !covered.Contains(p)).OrderBy(p => p.Count))
        {
            if (removed.Any(path.StartsWith) || IsKeyOfItem(path) || !ObjectWalker.Exists(merged, path, root))
            {
                continue;
            }

            ObjectWalker.Remove(merged, path, root);
            removed.Add(path);
        }

        if (removed.Count == 0)
        {
            return;
        }

        var parents = previous.PrefixClosure()
            .Where(p => !previous.Has(p) && !covered.Contains(p) && removed.Any(r => r.Count > p.Count && r.StartsWith(p)))
            .OrderByDescending(p => p.Count);
        foreach (var parent in parents)
        {
            if (ValueAt(merged, parent) is JsonObject { Count: 0 } or JsonArray { Count: 0 })
            {
                ObjectWalker.Remove(merged, parent, root);
            }
        }
    }

    /// <summary>A key field of a list-map item (<c>[name="x"].name</c>): it stays as long as the item stays.</summary>
    private static bool IsKeyOfItem(FieldPath path)
        => path.Count >= 2
            && path.Elements[^1].Kind == PathElementKind.Field
            && path.Elements[^2].Kind == PathElementKind.Key
            && path.Elements[^2].KeyFields!.Any(k => k.Key == path.Elements[^1].Name);

    private static JsonNode? ValueAt(JsonObject obj, FieldPath path)
    {
        JsonNode? current = obj;
        foreach (var element in path.Elements)
        {
            if (element.Kind != PathElementKind.Field || current is not JsonObject currentObject)
            {
                return null;
            }

            current = currentObject[element.Name!];
        }

        return current;
    }

    private static JsonObject ResetFields(JsonObject merged, JsonObject live, TypeSchema schema, string? subresource)
    {
        if (subresource == "status")
        {
            var result = (JsonObject)live.DeepClone();
            if (merged["status"] is { } status)
            {
                result["status"] = status.DeepClone();
            }
            else
            {
                result.Remove("status");
            }

            return result;
        }

        if (subresource is null && schema.HasStatusSubresource)
        {
            if (live["status"] is { } liveStatus)
            {
                merged["status"] = liveStatus.DeepClone();
            }
            else
            {
                merged.Remove("status");
            }
        }

        return merged;
    }

    private static List<ApplyConflict> FindConflicts(List<ManagedFieldsEntry> others, FieldSet changed, string apiVersion)
    {
        var conflicts = new List<ApplyConflict>();
        foreach (var other in others.OrderBy(o => o.IdentifierJson, StringComparer.Ordinal))
        {
            foreach (var path in other.Fields.Intersection(changed).Ordered())
            {
                conflicts.Add(new ApplyConflict(other.Manager, path.ToString())
                {
                    Operation = other.Operation,
                    ApiVersion = string.IsNullOrEmpty(other.ApiVersion) ? apiVersion : other.ApiVersion,
                    Time = other.Time,
                    Subresource = other.Subresource,
                    Identifier = other.IdentifierJson,
                });
            }
        }

        return conflicts;
    }

    /// <summary>Conflicts kubectl may override: fields of the last-applied annotation whose live value still matches it.</summary>
    private static HashSet<string> AllowedConflictsFromLastApplied(JsonObject live, SchemaNode root)
    {
        if (live["metadata"]?["annotations"]?[LastAppliedAnnotation] is not JsonValue value
            || !value.TryGetValue<string>(out var text) || string.IsNullOrEmpty(text))
        {
            return [];
        }

        try
        {
            if (JsonNode.Parse(text) is not JsonObject lastApplied)
            {
                return [];
            }

            var lastSet = ObjectWalker.ToFieldSet(lastApplied, root, strict: false);
            var (_, modified, _) = ObjectWalker.Compare(lastApplied, live, root);
            return lastSet.Difference(modified).Ordered().Select(p => p.ToString()).ToHashSet(StringComparer.Ordinal);
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
    }

    private static string BuildLastApplied(JsonObject applyConfig)
    {
        var copy = (JsonObject)applyConfig.DeepClone();
        if (copy["metadata"]?["annotations"] is JsonObject annotations)
        {
            annotations.Remove(LastAppliedAnnotation);
        }

        return GoFormat.GoJson(copy) + "\n";
    }

    /// <summary><see cref="Filter(FieldSet, TypeSchema, string?)"/> of the union of two sets, in one pass.</summary>
    private static FieldSet Filter(FieldSet first, FieldSet second, TypeSchema schema, string? subresource)
    {
        var result = new FieldSet();
        Add(first);
        Add(second);
        return result;

        void Add(FieldSet set)
        {
            foreach (var path in set)
            {
                if (Array.IndexOf(StrippedPaths, path) >= 0)
                {
                    continue;
                }

                if (subresource is null && schema.HasStatusSubresource ? path.StartsWith(StatusPath)
                    : subresource == "status" && !path.StartsWith(StatusPath))
                {
                    continue;
                }

                result.Insert(path);
            }
        }
    }

    private static FieldSet Filter(FieldSet set, TypeSchema schema, string? subresource)
    {
        var filtered = set.Without(p => StrippedPaths.Contains(p));
        if (subresource is null && schema.HasStatusSubresource)
        {
            filtered = filtered.Without(p => p.StartsWith(StatusPath));
        }
        else if (subresource == "status")
        {
            filtered = filtered.Without(p => !p.StartsWith(StatusPath));
        }

        return filtered;
    }

    private static List<FieldPath> NullPaths(JsonObject config)
    {
        var paths = new List<FieldPath>();
        Walk(config, FieldPath.Root);
        return paths;

        void Walk(JsonObject obj, FieldPath prefix)
        {
            foreach (var (key, value) in obj)
            {
                var path = prefix.Append(PathElement.Field(key));
                if (value is null)
                {
                    paths.Add(path);
                }
                else if (value is JsonObject child)
                {
                    Walk(child, path);
                }
            }
        }
    }

    private static JsonObject WithoutManagedFields(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        if (copy["metadata"] is JsonObject meta)
        {
            meta.Remove("managedFields");
        }

        return copy;
    }

    private static void SetManagedFields(JsonObject obj, IEnumerable<ManagedFieldsEntry> entries)
    {
        var list = CapUpdateManagers(entries.ToList());
        if (obj["metadata"] is not JsonObject meta)
        {
            meta = [];
            obj["metadata"] = meta;
        }

        if (list.Count == 0)
        {
            meta.Remove("managedFields");
            return;
        }

        meta["managedFields"] = ManagedFieldsEntry.EncodeAll(list);
    }

    /// <summary>
    /// Keeps at most 10 Update entries: the oldest are merged, per API version, into an <c>ancient-changes</c>
    /// entry (the apiserver's capManagersManager).
    /// </summary>
    private static List<ManagedFieldsEntry> CapUpdateManagers(List<ManagedFieldsEntry> entries)
    {
        if (entries.Count(e => e.Operation == ManagedFieldsEntry.UpdateOperation) <= MaxUpdateManagers)
        {
            return entries; // nothing to merge (the common case): skip sorting
        }

        var updaters = entries.Where(e => e.Operation == ManagedFieldsEntry.UpdateOperation)
            .OrderBy(e => e.Time is null ? DateTimeOffset.MinValue : DateTimeOffset.Parse(e.Time, CultureInfo.InvariantCulture))
            .ThenBy(e => e.IdentifierJson, StringComparer.Ordinal)
            .ToList();
        var count = updaters.Count;
        var firstByVersion = new Dictionary<string, ManagedFieldsEntry>(StringComparer.Ordinal);
        for (var i = 0; i < updaters.Count && count > MaxUpdateManagers; i++)
        {
            var entry = updaters[i];
            if (!firstByVersion.TryGetValue(entry.ApiVersion, out var first))
            {
                firstByVersion[entry.ApiVersion] = entry;
                continue;
            }

            var bucket = entries.FirstOrDefault(e => e.Manager == AncientChangesManager && e.Operation == ManagedFieldsEntry.UpdateOperation && e.ApiVersion == entry.ApiVersion && e.Subresource is null);
            if (bucket is null)
            {
                entries.Remove(first);
                bucket = new ManagedFieldsEntry { Manager = AncientChangesManager, Operation = ManagedFieldsEntry.UpdateOperation, ApiVersion = entry.ApiVersion, Fields = first.Fields, Time = first.Time };
                entries.Add(bucket);
            }

            bucket.Fields = bucket.Fields.Union(entry.Fields);
            bucket.Time = entry.Time;
            entries.Remove(entry);
            count--;
        }

        return entries;
    }

    private static string Gvk(JsonObject obj)
    {
        var apiVersion = obj["apiVersion"]?.GetValue<string>() ?? "";
        var kind = obj["kind"]?.GetValue<string>() ?? "";
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? $"/{apiVersion}, Kind={kind}" : $"{apiVersion}, Kind={kind}";
    }
}
