using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>
/// Strategic merge patch (<c>application/strategic-merge-patch+json</c>) as apimachinery
/// <c>strategicpatch.StrategicMergePatch</c> applies it: maps merge, null deletes, lists follow the field's
/// <c>patchStrategy</c> (merge by <c>patchMergeKey</c>, merged primitive lists, otherwise replace), and the
/// directives <c>$patch</c> (replace, merge, delete), <c>$deleteFromPrimitiveList/&lt;f&gt;</c>,
/// <c>$setElementOrder/&lt;f&gt;</c> and <c>$retainKeys</c>.
/// </summary>
internal static class StrategicMergePatch
{
    private const string DirectiveMarker = "$patch";
    private const string RetainKeysDirective = "$retainKeys";
    private const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";
    private const string SetElementOrderPrefix = "$setElementOrder/";

    /// <summary>Returns <paramref name="original"/> patched; neither input is modified.</summary>
    /// <exception cref="PatchException">The patch is malformed (400), or uses an unknown directive (500 as on the real server).</exception>
    public static JsonObject Apply(JsonObject original, JsonObject patch, TypeSchema schema)
    {
        var result = MergeMap((JsonObject)original.DeepClone(), (JsonObject)patch.DeepClone(), schema.Root);
        return result;
    }

    private static JsonObject MergeMap(JsonObject? original, JsonObject patch, SchemaNode node)
    {
        if (patch.TryGetPropertyValue(DirectiveMarker, out var directive))
        {
            var text = AsString(directive);
            if (text == "replace")
            {
                patch.Remove(DirectiveMarker);
                return MergeMap([], patch, node);
            }

            if (text == "delete")
            {
                return [];
            }

            if (text != "merge")
            {
                throw new PatchException($"unknown patch type: {text} in map: {GoValue(patch)}") { StatusCode = 500 };
            }

            patch.Remove(DirectiveMarker);
        }

        original ??= [];
        ApplyRetainKeys(original, patch);
        MergeSetElementOrder(original, patch, node);

        foreach (var (rawKey, patchValue) in patch.ToList())
        {
            var key = rawKey;
            var isDeleteList = false;
            if (rawKey.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal))
            {
                key = rawKey[DeleteFromPrimitiveListPrefix.Length..];
                isDeleteList = true;
            }
            else if (rawKey.StartsWith('$'))
            {
                continue;
            }

            if (patchValue is null)
            {
                original.Remove(key);
                continue;
            }

            var child = node.Child(key);
            original.TryGetPropertyValue(key, out var originalValue);
            if (originalValue is null)
            {
                if (!isDeleteList)
                {
                    original[key] = Fresh(patchValue, child);
                }

                continue;
            }

            if (originalValue.GetValueKind() != patchValue.GetValueKind()
                && !(IsScalar(originalValue) && IsScalar(patchValue)))
            {
                if (!isDeleteList)
                {
                    original[key] = Fresh(patchValue, child);
                }

                continue;
            }

            switch (patchValue)
            {
                case JsonObject patchObject:
                    original[key] = MergeMap(((JsonObject)originalValue).DeepClone().AsObject(), patchObject, child);
                    break;
                case JsonArray patchArray:
                    original[key] = MergeSliceHandler(originalValue.AsArray(), patchArray, child, isDeleteList);
                    break;
                default:
                    if (!isDeleteList)
                    {
                        original[key] = patchValue.DeepClone();
                    }

                    break;
            }
        }

        return original;
    }

    /// <summary>A patch value for a key the original lacks: directives processed, nulls dropped.</summary>
    private static JsonNode Fresh(JsonNode patchValue, SchemaNode node) => patchValue switch
    {
        JsonObject obj => MergeMap([], (JsonObject)obj.DeepClone(), node),
        JsonArray array => MergeSliceHandler([], (JsonArray)array.DeepClone(), node, false),
        _ => patchValue.DeepClone(),
    };

    private static void ApplyRetainKeys(JsonObject original, JsonObject patch)
    {
        if (!patch.TryGetPropertyValue(RetainKeysDirective, out var retainNode))
        {
            return;
        }

        patch.Remove(RetainKeysDirective);
        if (retainNode is not JsonArray retainList)
        {
            throw PatchException.BadRequest("invalid patch format of retainKeys");
        }

        var retain = retainList.Select(AsString).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in patch)
        {
            if (value is null || key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal) || key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (!retain.Contains(key))
            {
                throw PatchException.BadRequest("invalid patch format of retainKeys");
            }
        }

        foreach (var key in original.Select(p => p.Key).ToList())
        {
            if (!retain.Contains(key))
            {
                original.Remove(key);
            }
        }
    }

    private static void MergeSetElementOrder(JsonObject original, JsonObject patch, SchemaNode node)
    {
        foreach (var (directiveKey, orderNode) in patch.ToList())
        {
            if (!directiveKey.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            patch.Remove(directiveKey);
            if (orderNode is not JsonArray order)
            {
                throw PatchException.BadRequest("invalid patch format of setElementOrder list");
            }

            var key = directiveKey[SetElementOrderPrefix.Length..];
            var child = node.Child(key);
            var info = child.Kind == SchemaKind.List ? child.EffectiveList : null;
            var mergeKey = info?.EffectivePatchMergeKey;
            var foundOriginal = original.TryGetPropertyValue(key, out var originalNode) && originalNode is not null;
            var foundPatch = patch.TryGetPropertyValue(key, out var patchNode) && patchNode is not null;
            if (foundOriginal && originalNode is not JsonArray || foundPatch && patchNode is not JsonArray)
            {
                throw PatchException.BadRequest("invalid patch format of setElementOrder list");
            }

            var originalList = originalNode as JsonArray ?? [];
            var patchList = patchNode as JsonArray ?? [];
            ValidateOrder(patchList, order, mergeKey);

            JsonArray merged;
            if (foundOriginal && !foundPatch)
            {
                merged = (JsonArray)originalList.DeepClone();
            }
            else if (!foundOriginal && foundPatch)
            {
                merged = MergeSliceHandler([], patchList, child, false);
            }
            else if (foundOriginal && foundPatch)
            {
                merged = MergeSliceHandler(originalList, patchList, child, false);
            }
            else
            {
                continue;
            }

            var (patchItems, serverOnly) = Partition(merged, order, mergeKey);
            original[key] = NormalizeElementOrder(patchItems, serverOnly, order, originalList, mergeKey);
            patch.Remove(key);
        }
    }

    private static void ValidateOrder(JsonArray patchList, JsonArray order, string? mergeKey)
    {
        if (order.Count == 0 || patchList.Count == 0)
        {
            return;
        }

        var items = patchList.Where(i => !(i is JsonObject o && o.ContainsKey(DirectiveMarker))).ToList();
        int patchIndex = 0, orderIndex = 0;
        while (patchIndex < items.Count && orderIndex < order.Count)
        {
            if (SameItem(items[patchIndex], order[orderIndex], mergeKey))
            {
                patchIndex++;
            }

            orderIndex++;
        }

        if (patchIndex < items.Count)
        {
            throw new PatchException($"The order in patch list:\n{GoValue(patchList)}\n doesn't match {SetElementOrderPrefix} list:\n{GoValue(order)}\n") { StatusCode = 500 };
        }
    }

    private static JsonArray MergeSliceHandler(JsonArray original, JsonArray patch, SchemaNode node, bool isDeleteList)
    {
        var info = node.Kind == SchemaKind.List ? node.EffectiveList : null;
        if (info is null || !info.MergeStrategy)
        {
            // Replace: the patch list is the new value (items with directives are taken as they are).
            return (JsonArray)patch.DeepClone();
        }

        return MergeSlice((JsonArray)original.DeepClone(), (JsonArray)patch.DeepClone(), node.Item, info.EffectivePatchMergeKey, isDeleteList);
    }

    private static JsonArray MergeSlice(JsonArray original, JsonArray patch, SchemaNode itemNode, string? mergeKey, bool isDeleteList)
    {
        if (original.Count == 0 && patch.Count == 0)
        {
            return original;
        }

        var elementIsMap = original.Concat(patch).FirstOrDefault(i => i is not null) is JsonObject;
        if (original.Concat(patch).Any(i => i is JsonArray))
        {
            throw new PatchException("lists of lists are not supported") { StatusCode = 422 };
        }

        List<JsonNode?> merged;
        if (!elementIsMap)
        {
            if (isDeleteList)
            {
                return new JsonArray(original.Where(o => !patch.Any(p => JsonNode.DeepEquals(o, p))).Select(o => o?.DeepClone()).ToArray());
            }

            merged = [];
            foreach (var item in original.Concat(patch))
            {
                if (!merged.Any(m => JsonNode.DeepEquals(m, item)))
                {
                    merged.Add(item?.DeepClone());
                }
            }
        }
        else
        {
            if (mergeKey is null)
            {
                throw new PatchException("cannot merge lists without merge key") { StatusCode = 500 };
            }

            var originalItems = original.Select(i => i?.DeepClone()).ToList();
            var patchItems = new List<JsonNode?>();
            var replace = false;
            foreach (var item in patch)
            {
                if (item is not JsonObject obj)
                {
                    throw new PatchException($"expected a map, but received {GoValue(item)}") { StatusCode = 500 };
                }

                if (!obj.TryGetPropertyValue(DirectiveMarker, out var directive))
                {
                    patchItems.Add(obj.DeepClone());
                    continue;
                }

                switch (AsString(directive))
                {
                    case "delete":
                        if (!obj.TryGetPropertyValue(mergeKey, out var keyValue))
                        {
                            throw new PatchException($"map: {GoValue(obj)} does not contain declared merge key: {mergeKey}") { StatusCode = 500 };
                        }

                        originalItems.RemoveAll(o => o is JsonObject oo && oo.TryGetPropertyValue(mergeKey, out var ov) && JsonNode.DeepEquals(ov, keyValue));
                        break;
                    case "replace":
                        replace = true;
                        break;
                    case "merge":
                        throw new PatchException("merging lists cannot yet be specified in the patch") { StatusCode = 500 };
                    default:
                        throw new PatchException($"unknown patch type: {AsString(directive)} in map: {GoValue(obj)}") { StatusCode = 500 };
                }
            }

            if (replace)
            {
                return new JsonArray(patchItems.Select(p => (JsonNode?)MergeMap([], p!.AsObject(), itemNode)).ToArray());
            }

            merged = originalItems;
            foreach (var item in patchItems)
            {
                var obj = item!.AsObject();
                if (!obj.TryGetPropertyValue(mergeKey, out var keyValue))
                {
                    throw new PatchException($"map: {GoValue(obj)} does not contain declared merge key: {mergeKey}") { StatusCode = 500 };
                }

                var index = merged.FindIndex(o => o is JsonObject oo && oo.TryGetPropertyValue(mergeKey, out var ov) && JsonNode.DeepEquals(ov, keyValue));
                if (index >= 0)
                {
                    merged[index] = MergeMap(merged[index]!.AsObject(), obj, itemNode);
                }
                else
                {
                    merged.Add(MergeMap([], obj, itemNode));
                }
            }

            patch = new JsonArray(patchItems.Select(p => p?.DeepClone()).ToArray());
        }

        var mergedArray = new JsonArray(merged.Select(m => m?.DeepClone()).ToArray());
        var (inPatch, serverOnly) = Partition(mergedArray, patch, elementIsMap ? mergeKey : null);
        return NormalizeElementOrder(inPatch, serverOnly, patch, original, elementIsMap ? mergeKey : null);
    }

    private static (List<JsonNode?> InOrder, List<JsonNode?> ServerOnly) Partition(JsonArray merged, JsonArray order, string? mergeKey)
    {
        var inOrder = new List<JsonNode?>();
        var serverOnly = new List<JsonNode?>();
        foreach (var item in merged)
        {
            (IndexOf(order, item, mergeKey) >= 0 ? inOrder : serverOnly).Add(item?.DeepClone());
        }

        return (inOrder, serverOnly);
    }

    private static JsonArray NormalizeElementOrder(List<JsonNode?> patchItems, List<JsonNode?> serverOnly, JsonArray patchOrder, JsonArray serverOrder, string? mergeKey)
    {
        var sortedPatch = SortBy(patchItems, patchOrder, mergeKey);
        var sortedServer = SortBy(serverOnly, serverOrder, mergeKey);
        var result = new JsonArray();
        int i = 0, j = 0;
        while (i < sortedServer.Count || j < sortedPatch.Count)
        {
            if (i >= sortedServer.Count)
            {
                result.Add(sortedPatch[j++]);
            }
            else if (j >= sortedPatch.Count)
            {
                result.Add(sortedServer[i++]);
            }
            else
            {
                var li = IndexOf(serverOrder, sortedServer[i], mergeKey);
                var ri = IndexOf(serverOrder, sortedPatch[j], mergeKey);
                result.Add(li >= 0 && ri >= 0 && li < ri ? sortedServer[i++] : sortedPatch[j++]);
            }
        }

        return result;
    }

    private static List<JsonNode?> SortBy(List<JsonNode?> items, JsonArray order, string? mergeKey)
        => items
            .Select((item, position) => (item, position, index: IndexOf(order, item, mergeKey)))
            .OrderBy(t => t.index < 0 ? int.MaxValue : t.index)
            .ThenBy(t => t.position)
            .Select(t => t.item)
            .ToList();

    private static int IndexOf(JsonArray list, JsonNode? item, string? mergeKey)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (SameItem(list[i], item, mergeKey))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool SameItem(JsonNode? a, JsonNode? b, string? mergeKey)
    {
        if (mergeKey is null)
        {
            return JsonNode.DeepEquals(a, b);
        }

        return a is JsonObject ao && b is JsonObject bo
            && ao.TryGetPropertyValue(mergeKey, out var av) && bo.TryGetPropertyValue(mergeKey, out var bv)
            && JsonNode.DeepEquals(av, bv);
    }

    private static bool IsScalar(JsonNode node) => node.GetValueKind() is not JsonValueKind.Object and not JsonValueKind.Array;

    private static string AsString(JsonNode? node)
        => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : node?.ToJsonString() ?? "<nil>";

    /// <summary>Go's <c>%v</c> of a decoded JSON value, for error texts.</summary>
    internal static string GoValue(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return "<nil>";
            case JsonObject obj:
                var builder = new StringBuilder("map[");
                var first = true;
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    builder.Append(first ? "" : " ").Append(key).Append(':').Append(GoValue(value));
                    first = false;
                }

                return builder.Append(']').ToString();
            case JsonArray array:
                return "[" + string.Join(" ", array.Select(GoValue)) + "]";
            default:
                var v = node.AsValue();
                if (v.TryGetValue<string>(out var s))
                {
                    return s;
                }

                if (v.TryGetValue<double>(out var d))
                {
                    return d.ToString(CultureInfo.InvariantCulture);
                }

                return node.ToJsonString();
        }
    }
}
