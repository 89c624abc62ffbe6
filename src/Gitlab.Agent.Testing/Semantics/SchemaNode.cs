namespace Gitlab.Agent.Testing.Semantics;

/// <summary>Shape of a schema node.</summary>
internal enum SchemaKind
{
    /// <summary>An object with declared fields (its keys are field names).</summary>
    Struct,

    /// <summary>An object whose keys are data (labels, annotations, data, additionalProperties).</summary>
    Map,

    /// <summary>A list; <see cref="SchemaNode.List"/> says how it merges.</summary>
    List,

    /// <summary>A string, number or boolean.</summary>
    Scalar,

    /// <summary>Nothing is known: objects are granular maps whose keys count as data, lists are atomic.</summary>
    Deduced,
}

/// <summary>One node of a <see cref="TypeSchema"/>.</summary>
internal sealed class SchemaNode
{
    /// <summary>Node for values nothing is known about (CRs without schema, <see cref="TypeSchema.Unknown"/>).</summary>
    public static readonly SchemaNode DeducedNode = new() { Kind = SchemaKind.Deduced };

    /// <summary>Undeclared fields of built-in structs: granular objects with field semantics, atomic lists.</summary>
    public static readonly SchemaNode LooseStruct = new() { Kind = SchemaKind.Struct };

    /// <summary>Scalar node.</summary>
    public static readonly SchemaNode ScalarNode = new() { Kind = SchemaKind.Scalar };

    /// <summary>The node's shape.</summary>
    public SchemaKind Kind { get; init; }

    /// <summary>Declared fields of a struct.</summary>
    public Dictionary<string, SchemaNode> Fields { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Element type of a map or list (null: <see cref="LooseStruct"/> for built-ins).</summary>
    public SchemaNode? Element { get; init; }

    /// <summary>List semantics (lists only).</summary>
    public ListInfo? List { get; init; }

    /// <summary>True for <c>x-kubernetes-map-type: atomic</c> maps and atomic structs.</summary>
    public bool Atomic { get; init; }

    /// <summary>Child node for a field or map key of this object node.</summary>
    public SchemaNode Child(string name) => Kind switch
    {
        SchemaKind.Struct => Fields.TryGetValue(name, out var field) ? field : Element ?? LooseStruct,
        SchemaKind.Map => Element ?? DeducedNode,
        SchemaKind.Deduced => DeducedNode,
        _ => DeducedNode,
    };

    /// <summary>Whether <paramref name="name"/> is a declared struct field (rather than a data key).</summary>
    public bool IsField(string name) => Kind == SchemaKind.Struct && (Fields.ContainsKey(name) || Element is null);

    /// <summary>Item node of a list.</summary>
    public SchemaNode Item => Element ?? (Kind == SchemaKind.Deduced ? DeducedNode : LooseStruct);

    /// <summary>Effective list information (deduced and undeclared lists are atomic).</summary>
    public ListInfo EffectiveList => List ?? AtomicList;

    private static readonly ListInfo AtomicList = new(ListType.Atomic, [], false);
}
