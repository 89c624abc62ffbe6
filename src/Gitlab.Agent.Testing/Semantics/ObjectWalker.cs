using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>
/// The structured-merge-diff operations server-side apply needs, on JSON objects with a <see cref="SchemaNode"/>:
/// field sets of an object, comparison of two objects, merge of an applied configuration, and removal of paths.
/// </summary>
internal static class ObjectWalker
{
    /// <summary>Thrown when an object does not fit its list types (a list-map item without its keys).</summary>
    internal sealed class TypeMismatchException(string message) : Exception(message);

    private readonly record struct Slot(bool Present, JsonNode? Value)
    {
        public static Slot Absent => default;

        public bool IsEmptyish => !Present || Value is null || Value is JsonObject { Count: 0 } || Value is JsonArray { Count: 0 };
    }

    /// <summary>The fields an object sets (structured-merge-diff <c>ToFieldSet</c>).</summary>
    public static FieldSet ToFieldSet(JsonObject value, SchemaNode root, bool strict = true)
    {
        var set = new FieldSet();
        Collect(value, root, FieldPath.Root, set, strict);
        return set;
    }

    /// <summary>Compares two objects; returns the added, modified and removed paths (structured-merge-diff <c>Compare</c>).</summary>
    public static (FieldSet Added, FieldSet Modified, FieldSet Removed) Compare(JsonObject lhs, JsonObject rhs, SchemaNode root)
        => Compare(lhs, rhs, root, ignoreManagedFields: false);

    /// <summary>
    /// Compares two objects; with <paramref name="ignoreManagedFields"/> both are compared as if
    /// <c>metadata.managedFields</c> were absent (without copying them to remove it).
    /// </summary>
    public static (FieldSet Added, FieldSet Modified, FieldSet Removed) Compare(JsonObject lhs, JsonObject rhs, SchemaNode root, bool ignoreManagedFields)
    {
        var result = (Added: new FieldSet(), Modified: new FieldSet(), Removed: new FieldSet());
        CompareNode(new Slot(true, lhs), new Slot(true, rhs), root, FieldPath.Root, result, ignoreManagedFields ? SkipLevel.Root : SkipLevel.None);
        return result;
    }

    /// <summary>Where <see cref="CompareNode"/> is relative to <c>metadata.managedFields</c> when that is ignored.</summary>
    private enum SkipLevel
    {
        None,
        Root,
        Metadata,
    }

    /// <summary>Whether an object slot is empty once <c>managedFields</c> is ignored (it is at <see cref="SkipLevel.Metadata"/>).</summary>
    private static bool IsEmptyishIgnoring(Slot slot, SkipLevel skip) =>
        slot.IsEmptyish || (skip == SkipLevel.Metadata && slot.Value is JsonObject { Count: 1 } o && o.ContainsKey("managedFields"));

    /// <summary>Merges an applied configuration into a live object (structured-merge-diff <c>Merge</c>); inputs are not modified.</summary>
    public static JsonObject Merge(JsonObject live, JsonObject config, SchemaNode root)
        => (JsonObject)MergeNode(new Slot(true, live), new Slot(true, config), root, FieldPath.Root)!;

    /// <summary>Whether the path exists in the object.</summary>
    public static bool Exists(JsonObject root, FieldPath path, SchemaNode rootNode) => Locate(root, path, rootNode) is not null;

    /// <summary>Removes the value at the path (a field, or a list item) and everything below it.</summary>
    public static void Remove(JsonObject root, FieldPath path, SchemaNode rootNode)
    {
        if (path.Count == 0 || Locate(root, path.Prefix(path.Count - 1), rootNode) is not var (parent, parentNode))
        {
            return;
        }

        var last = path.Elements[^1];
        switch (parent)
        {
            case JsonObject obj when last.Kind == PathElementKind.Field:
                obj.Remove(last.Name!);
                break;
            case JsonArray array:
                var index = FindItem(array, last, parentNode);
                if (index >= 0)
                {
                    array.RemoveAt(index);
                }

                break;
        }
    }

    /// <summary>The path element of a list item (<c>k:</c> for list-maps, <c>v:</c> for sets).</summary>
    public static PathElement ItemElement(ListInfo info, JsonNode? item, FieldPath listPath, int index)
    {
        if (info.Type == ListType.Set)
        {
            if (item is JsonObject or JsonArray)
            {
                throw new TypeMismatchException($"{listPath}: element {index}: expected a scalar value in a set list");
            }

            return PathElement.OfValue(item);
        }

        if (item is not JsonObject obj)
        {
            throw new TypeMismatchException($"{listPath}: element {index}: associative list with keys has an element that is not a map");
        }

        var fields = new List<KeyValuePair<string, JsonNode?>>();
        foreach (var key in info.Keys)
        {
            if (obj.TryGetPropertyValue(key, out var keyValue) && keyValue is not null)
            {
                fields.Add(KeyValuePair.Create(key, (JsonNode?)keyValue));
            }
            else if (info.KeyDefaults is not null && info.KeyDefaults.TryGetValue(key, out var defaultValue))
            {
                fields.Add(KeyValuePair.Create(key, (JsonNode?)JsonValue.Create(defaultValue)));
            }
            else
            {
                throw new TypeMismatchException($"{listPath}: element {index}: associative list with keys has an element that omits key field {GoFormat.Quote(key)} (and doesn't have default value)");
            }
        }

        return PathElement.Key(fields);
    }

    private static bool IsGranularObject(SchemaNode node) => node.Kind is SchemaKind.Struct or SchemaKind.Map or SchemaKind.Deduced && !node.Atomic;

    private static bool IsAssociativeList(SchemaNode node) => node.Kind == SchemaKind.List && node.EffectiveList.Type != ListType.Atomic;

    private static void Collect(JsonNode? value, SchemaNode node, FieldPath path, FieldSet set, bool strict)
    {
        switch (value)
        {
            case JsonObject obj when IsGranularObject(node):
                foreach (var (key, child) in obj)
                {
                    var childPath = path.Append(PathElement.Field(key));
                    Collect(child, node.Child(key), childPath, set, strict);
                    if (child is null || child is JsonObject { Count: 0 } || !node.IsField(key))
                    {
                        set.Insert(childPath);
                    }
                }

                break;
            case JsonArray array when IsAssociativeList(node):
                var elements = ItemElements(array, node, path, strict);
                for (var i = 0; i < array.Count; i++)
                {
                    var itemPath = path.Append(elements[i]);
                    Collect(array[i], node.Item, itemPath, set, strict);
                    set.Insert(itemPath);
                }

                break;
            default:
                set.Insert(path);
                break;
        }
    }

    private static List<PathElement> ItemElements(JsonArray array, SchemaNode node, FieldPath path, bool strict)
    {
        var elements = new List<PathElement>(array.Count);
        try
        {
            for (var i = 0; i < array.Count; i++)
            {
                elements.Add(ItemElement(node.EffectiveList, array[i], path, i));
            }
        }
        catch (TypeMismatchException) when (!strict)
        {
            elements.Clear();
            for (var i = 0; i < array.Count; i++)
            {
                elements.Add(PathElement.OfIndex(i));
            }
        }

        return elements;
    }

    private static void CompareNode(Slot lhs, Slot rhs, SchemaNode node, FieldPath path, (FieldSet Added, FieldSet Modified, FieldSet Removed) result, SkipLevel skip = SkipLevel.None)
    {
        if (!lhs.Present && !rhs.Present)
        {
            return;
        }

        var objectish = (lhs.Value is JsonObject || lhs.IsEmptyish && lhs.Value is not JsonArray) && (rhs.Value is JsonObject || rhs.IsEmptyish && rhs.Value is not JsonArray);
        if (objectish && IsGranularObject(node) && !(IsEmptyishIgnoring(lhs, skip) && IsEmptyishIgnoring(rhs, skip)))
        {
            var left = lhs.Value as JsonObject;
            var right = rhs.Value as JsonObject;
            if (left is not null)
            {
                foreach (var (key, _) in left)
                {
                    CompareChild(key);
                }
            }

            if (right is not null)
            {
                foreach (var (key, _) in right)
                {
                    if (left is null || !left.ContainsKey(key))
                    {
                        CompareChild(key);
                    }
                }
            }

            PostItem(lhs, rhs, path, result);
            return;

            void CompareChild(string key)
            {
                if (skip == SkipLevel.Metadata && key == "managedFields")
                {
                    return;
                }

                var childSkip = skip == SkipLevel.Root && key == "metadata" ? SkipLevel.Metadata : SkipLevel.None;
                CompareNode(SlotOf(left, key), SlotOf(right, key), node.Child(key), path.Append(PathElement.Field(key)), result, childSkip);
            }
        }

        if (skip == SkipLevel.Metadata && lhs.Value is JsonObject && rhs.Value is JsonObject && IsEmptyishIgnoring(lhs, skip) && IsEmptyishIgnoring(rhs, skip))
        {
            return; // both empty once managedFields is ignored: equal
        }

        var listish = (lhs.Value is JsonArray || lhs.IsEmptyish && lhs.Value is not JsonObject) && (rhs.Value is JsonArray || rhs.IsEmptyish && rhs.Value is not JsonObject);
        if (listish && IsAssociativeList(node) && !(lhs.IsEmptyish && rhs.IsEmptyish))
        {
            var left = IndexItems(lhs.Value as JsonArray, node, path);
            var right = IndexItems(rhs.Value as JsonArray, node, path);
            var order = left.Keys.Concat(right.Keys).Distinct().ToList();
            foreach (var element in order)
            {
                var l = left.TryGetValue(element, out var lv) ? new Slot(true, lv) : Slot.Absent;
                var r = right.TryGetValue(element, out var rv) ? new Slot(true, rv) : Slot.Absent;
                CompareNode(l, r, node.Item, path.Append(element), result);
            }

            PostItem(lhs, rhs, path, result);
            return;
        }

        if (!lhs.Present)
        {
            result.Added.Insert(path);
        }
        else if (!rhs.Present)
        {
            result.Removed.Insert(path);
        }
        else if (!JsonNode.DeepEquals(lhs.Value, rhs.Value))
        {
            result.Modified.Insert(path);
        }
    }

    private static void PostItem(Slot lhs, Slot rhs, FieldPath path, (FieldSet Added, FieldSet Modified, FieldSet Removed) result)
    {
        if (!lhs.Present)
        {
            result.Added.Insert(path);
        }
        else if (!rhs.Present)
        {
            result.Removed.Insert(path);
        }
    }

    private static Dictionary<PathElement, JsonNode?> IndexItems(JsonArray? array, SchemaNode node, FieldPath path)
    {
        var items = new Dictionary<PathElement, JsonNode?>();
        if (array is null)
        {
            return items;
        }

        var elements = ItemElements(array, node, path, strict: false);
        for (var i = 0; i < array.Count; i++)
        {
            items.TryAdd(elements[i], array[i]);
        }

        return items;
    }

    private static Slot SlotOf(JsonObject? obj, string key)
        => obj is not null && obj.TryGetPropertyValue(key, out var value) ? new Slot(true, value) : Slot.Absent;

    private static JsonNode? MergeNode(Slot lhs, Slot rhs, SchemaNode node, FieldPath path)
    {
        if (!rhs.Present)
        {
            return lhs.Value?.DeepClone();
        }

        if (!lhs.Present)
        {
            return rhs.Value?.DeepClone();
        }

        switch (lhs.Value, rhs.Value)
        {
            case (JsonObject left, JsonObject right) when IsGranularObject(node):
                var merged = new JsonObject();
                foreach (var (key, value) in left)
                {
                    merged[key] = right.TryGetPropertyValue(key, out var rv)
                        ? MergeNode(new Slot(true, value), new Slot(true, rv), node.Child(key), path.Append(PathElement.Field(key)))
                        : value?.DeepClone();
                }

                foreach (var (key, value) in right)
                {
                    if (!left.ContainsKey(key))
                    {
                        merged[key] = value?.DeepClone();
                    }
                }

                return merged;
            case (JsonObject left, null) when IsGranularObject(node):
                return left.DeepClone();
            case (JsonArray left, JsonArray right) when IsAssociativeList(node):
                return MergeList(left, right, node, path);
            default:
                return rhs.Value?.DeepClone();
        }
    }

    /// <summary>structured-merge-diff's list merge: keeps the live position of live-only items and the config order of the rest.</summary>
    private static JsonArray MergeList(JsonArray lhs, JsonArray rhs, SchemaNode node, FieldPath path)
    {
        var info = node.EffectiveList;
        var lhsElements = ItemElements(lhs, node, path, strict: false);
        var rhsElements = new List<PathElement>();
        for (var i = 0; i < rhs.Count; i++)
        {
            rhsElements.Add(ItemElement(info, rhs[i], path, i));
        }

        var observedLhs = new Dictionary<PathElement, JsonNode?>();
        for (var i = 0; i < lhs.Count; i++)
        {
            observedLhs.TryAdd(lhsElements[i], lhs[i]);
        }

        var observedRhs = new Dictionary<PathElement, JsonNode?>();
        for (var i = 0; i < rhs.Count; i++)
        {
            observedRhs.TryAdd(rhsElements[i], rhs[i]);
        }

        var sharedOrder = new Queue<PathElement>(rhsElements.Where(observedLhs.ContainsKey));
        PathElement? nextShared = sharedOrder.Count > 0 ? sharedOrder.Dequeue() : null;
        var mergedRhs = new HashSet<PathElement>();
        var output = new JsonArray();
        int li = 0, ri = 0;
        while (li < lhs.Count || ri < rhs.Count)
        {
            if (li < lhs.Count && ri < rhs.Count)
            {
                var element = lhsElements[li];
                if (element.Equals(rhsElements[ri]))
                {
                    mergedRhs.Add(element);
                    output.Add(MergeItem(observedLhs.GetValueOrDefault(element), observedRhs[element], node, path.Append(element)));
                    li++;
                    ri++;
                    nextShared = sharedOrder.Count > 0 ? sharedOrder.Dequeue() : null;
                    continue;
                }

                if (observedRhs.ContainsKey(element) && nextShared is not null && !nextShared.Equals(element))
                {
                    li++;
                    continue;
                }
            }

            if (li < lhs.Count)
            {
                var element = lhsElements[li];
                if (!observedRhs.ContainsKey(element))
                {
                    output.Add(lhs[li]?.DeepClone());
                    li++;
                    continue;
                }

                if (mergedRhs.Contains(element))
                {
                    li++;
                    continue;
                }
            }

            if (ri < rhs.Count)
            {
                var element = rhsElements[ri];
                mergedRhs.Add(element);
                output.Add(MergeItem(observedLhs.GetValueOrDefault(element), observedRhs[element], node, path.Append(element)));
                ri++;
                if (nextShared is not null && nextShared.Equals(element))
                {
                    nextShared = sharedOrder.Count > 0 ? sharedOrder.Dequeue() : null;
                }
            }
        }

        return output;
    }

    private static JsonNode? MergeItem(JsonNode? lhs, JsonNode? rhs, SchemaNode node, FieldPath path)
        => lhs is null ? rhs?.DeepClone() : MergeNode(new Slot(true, lhs), new Slot(true, rhs), node.Item, path);

    private static (JsonNode Value, SchemaNode Node)? Locate(JsonObject root, FieldPath path, SchemaNode rootNode)
    {
        JsonNode current = root;
        var node = rootNode;
        foreach (var element in path.Elements)
        {
            switch (current)
            {
                case JsonObject obj when element.Kind == PathElementKind.Field:
                    if (!obj.TryGetPropertyValue(element.Name!, out var child) || child is null)
                    {
                        return null;
                    }

                    current = child;
                    node = node.Child(element.Name!);
                    break;
                case JsonArray array when element.Kind != PathElementKind.Field:
                    var index = FindItem(array, element, node);
                    if (index < 0 || array[index] is null)
                    {
                        return null;
                    }

                    current = array[index]!;
                    node = node.Item;
                    break;
                default:
                    return null;
            }
        }

        return (current, node);
    }

    private static int FindItem(JsonArray array, PathElement element, SchemaNode listNode)
    {
        if (element.Kind == PathElementKind.Index)
        {
            return element.Index < array.Count ? element.Index : -1;
        }

        var info = listNode.Kind == SchemaKind.List ? listNode.EffectiveList : null;
        for (var i = 0; i < array.Count; i++)
        {
            if (element.Kind == PathElementKind.Value && JsonNode.DeepEquals(array[i], element.Value))
            {
                return i;
            }

            if (element.Kind == PathElementKind.Key && info is { Type: ListType.Map })
            {
                try
                {
                    if (ItemElement(info, array[i], FieldPath.Root, i).Equals(element))
                    {
                        return i;
                    }
                }
                catch (TypeMismatchException)
                {
                    // Items without keys never match.
                }
            }
        }

        return -1;
    }
}
