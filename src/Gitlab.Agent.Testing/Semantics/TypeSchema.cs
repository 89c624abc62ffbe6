using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>
/// Merge semantics of one kind: list types and keys, atomic maps and structs, and which object keys are
/// declared fields. Used by strategic merge patch and by server-side apply. Paths are field names;
/// list items do not add a segment (<c>["spec","template","spec","containers","ports"]</c>).
/// </summary>
internal sealed class TypeSchema
{
    private readonly string _skeleton;

    private TypeSchema(SchemaNode root, string skeleton)
    {
        Root = root;
        _skeleton = skeleton;
    }

    /// <summary>No schema: lists are atomic, objects are granular maps (what the apiserver deduces for schemaless data).</summary>
    public static TypeSchema Unknown { get; } = new(SchemaNode.DeducedNode, "{}");

    /// <summary>Root node of the schema.</summary>
    public SchemaNode Root { get; }

    /// <summary>
    /// Whether the kind has a <c>/status</c> subresource: then writes to the main resource never own <c>.status</c>
    /// and apply leaves it alone (the apiserver's reset fields). True for built-ins; CRDs set it from <c>subresources.status</c>.
    /// </summary>
    public bool HasStatusSubresource { get; private init; }

    /// <summary>This schema with <see cref="HasStatusSubresource"/> set.</summary>
    public TypeSchema WithStatusSubresource(bool enabled) => new(Root, _skeleton) { SupportsStrategicMerge = SupportsStrategicMerge, HasStatusSubresource = enabled };

    /// <summary>Whether strategic merge patch is allowed (the real apiserver refuses it for custom resources).</summary>
    public bool SupportsStrategicMerge { get; private init; }

    /// <summary>Schema of a built-in kind (unknown kinds get ObjectMeta semantics and atomic lists elsewhere).</summary>
    public static TypeSchema ForBuiltin(string group, string version, string kind)
    {
        var (root, skeleton) = BuiltinSchemas.For(group ?? "", kind);
        return new TypeSchema(root, skeleton) { SupportsStrategicMerge = true, HasStatusSubresource = true };
    }

    /// <summary>
    /// Schema of a custom resource from its structural OpenAPI v3 schema (<c>x-kubernetes-list-type</c>,
    /// <c>x-kubernetes-list-map-keys</c>, <c>x-kubernetes-map-type</c>, <c>x-kubernetes-preserve-unknown-fields</c>).
    /// Null gives <see cref="Unknown"/> semantics with ObjectMeta for <c>metadata</c>.
    /// </summary>
    public static TypeSchema FromOpenApiV3(JsonObject? schema)
    {
        var root = schema is null ? new SchemaNode { Kind = SchemaKind.Struct, Element = SchemaNode.DeducedNode } : Convert(schema);
        if (root.Kind != SchemaKind.Struct)
        {
            root = new SchemaNode { Kind = SchemaKind.Struct, Element = SchemaNode.DeducedNode };
        }

        root.Fields["apiVersion"] = SchemaNode.ScalarNode;
        root.Fields["kind"] = SchemaNode.ScalarNode;
        root.Fields["metadata"] = BuiltinSchemas.ObjectMeta();
        return new TypeSchema(root, "{}");
    }

    /// <summary>List information at a field path, or null when the path is not a declared list (then it is atomic).</summary>
    public ListInfo? GetList(IReadOnlyList<string> path) => Navigate(path) is { Kind: SchemaKind.List } node ? node.List : null;

    /// <summary>Whether the object at the path is atomic (<c>x-kubernetes-map-type: atomic</c> or an atomic struct such as a label selector).</summary>
    public bool IsAtomicMap(IReadOnlyList<string> path) => Navigate(path) is { Kind: SchemaKind.Map or SchemaKind.Struct, Atomic: true };

    /// <summary>The node at a field path (list items are stepped through).</summary>
    public SchemaNode Navigate(IReadOnlyList<string> path)
    {
        var node = Root;
        foreach (var segment in path)
        {
            while (node.Kind == SchemaKind.List)
            {
                node = node.Item;
            }

            node = node.Child(segment);
        }

        return node;
    }

    /// <summary>The kind's empty object as the Go types serialize it; a create is compared against it.</summary>
    public JsonObject CreateSkeleton() => BuiltinSchemas.ParseSkeleton(_skeleton);

    /// <summary>
    /// A shared, fully materialized skeleton: safe to read concurrently, never to modify (use
    /// <see cref="CreateSkeleton"/> for a private copy).
    /// </summary>
    public JsonObject FrozenSkeleton => _frozenSkeleton ??= Freeze(CreateSkeleton());

    private JsonObject? _frozenSkeleton;

    private static JsonObject Freeze(JsonObject obj)
    {
        // Reading every node once materializes the lazily parsed tree, after which concurrent reads are safe.
        _ = JsonNode.DeepEquals(obj, obj.DeepClone());
        return obj;
    }

    private static SchemaNode Convert(JsonObject schema)
    {
        var type = schema["type"]?.GetValue<string>();
        var preserveUnknown = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
        if (schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true)
        {
            return SchemaNode.ScalarNode;
        }

        if (type == "array")
        {
            var item = schema["items"] is JsonObject items ? Convert(items) : SchemaNode.DeducedNode;
            var listType = schema["x-kubernetes-list-type"]?.GetValue<string>() switch
            {
                "set" => ListType.Set,
                "map" => ListType.Map,
                _ => ListType.Atomic,
            };
            var keys = (schema["x-kubernetes-list-map-keys"] as JsonArray)?.Select(k => k!.GetValue<string>()).ToList() ?? [];
            return new SchemaNode
            {
                Kind = SchemaKind.List,
                Element = item,
                List = new ListInfo(listType, listType == ListType.Map ? keys : [], false),
            };
        }

        if (type == "object" || schema["properties"] is not null || schema["additionalProperties"] is not null)
        {
            var atomic = schema["x-kubernetes-map-type"]?.GetValue<string>() == "atomic";
            if (schema["properties"] is JsonObject properties)
            {
                var node = new SchemaNode
                {
                    Kind = SchemaKind.Struct,
                    Atomic = atomic,
                    Element = preserveUnknown ? SchemaNode.DeducedNode : null,
                };
                foreach (var (name, child) in properties)
                {
                    if (child is JsonObject childSchema)
                    {
                        node.Fields[name] = Convert(childSchema);
                    }
                }

                if (schema["x-kubernetes-embedded-resource"]?.GetValue<bool>() == true)
                {
                    node.Fields["metadata"] = BuiltinSchemas.ObjectMeta();
                }

                return node;
            }

            if (schema["additionalProperties"] is JsonObject additional)
            {
                return new SchemaNode { Kind = SchemaKind.Map, Element = Convert(additional), Atomic = atomic };
            }

            return atomic ? new SchemaNode { Kind = SchemaKind.Map, Element = SchemaNode.DeducedNode, Atomic = true } : SchemaNode.DeducedNode;
        }

        return type is null ? SchemaNode.DeducedNode : SchemaNode.ScalarNode;
    }
}
