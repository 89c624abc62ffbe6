using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Registry;

/// <summary>Everything the server knows about one served resource in one group version.</summary>
internal sealed class ResourceType
{
    public required string Group { get; init; }

    public required string Version { get; init; }

    public required string Kind { get; init; }

    public required string Plural { get; init; }

    public required string Singular { get; init; }

    public required bool Namespaced { get; init; }

    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>Verbs on the main resource.</summary>
    public IReadOnlyList<string> Verbs { get; init; } = AllVerbs;

    /// <summary>True when the kind has a <c>/status</c> subresource (main writes ignore <c>.status</c>).</summary>
    public bool HasStatus { get; init; }

    /// <summary>Scale subresource paths (<c>.spec.replicas</c> etc.), or null.</summary>
    public ScaleSpec? Scale { get; init; }

    /// <summary>Other subresources (log, exec, finalize, ...), with their verbs.</summary>
    public IReadOnlyList<(string Name, string Kind, string Group, string Version, string[] Verbs)> OtherSubresources { get; init; } = [];

    /// <summary>True when <c>metadata.generation</c> is maintained (spec changes bump it).</summary>
    public bool HasGeneration { get; init; }

    /// <summary>True when DELETE answers with the deleted object rather than a Status.</summary>
    public bool ReturnDeletedObject { get; init; }

    /// <summary>Field selectors supported beyond <c>metadata.name</c>/<c>metadata.namespace</c>: label → JSON path.</summary>
    public IReadOnlyDictionary<string, string> FieldSelectors { get; init; } = new Dictionary<string, string>();

    /// <summary>Known-field tree used for unknown-field detection and pruning (null = accept anything).</summary>
    public SchemaNode? Schema { get; init; }

    /// <summary>True for kinds served from a CustomResourceDefinition.</summary>
    public bool IsCustom { get; init; }

    /// <summary>Only the create verb (review-style kinds such as SelfSubjectAccessReview): nothing is stored.</summary>
    public bool CreateOnly { get; init; }

    /// <summary>Extra printer columns of a CRD version (name, type, jsonPath, priority, description, format).</summary>
    public IReadOnlyList<PrinterColumn> PrinterColumns { get; init; } = [];

    /// <summary>The CRD's openAPIV3Schema for this version (used for merge keys), or null.</summary>
    public JsonObject? OpenApiSchema { get; init; }

    private Semantics.TypeSchema? _mergeSchema;

    /// <summary>List types, merge keys and status handling for patches and server-side apply.</summary>
    public Semantics.TypeSchema MergeSchema => _mergeSchema ??= (IsCustom
        ? Semantics.TypeSchema.FromOpenApiV3(OpenApiSchema)
        : Semantics.TypeSchema.ForBuiltin(Group, Version, Kind)).WithStatusSubresource(HasStatus);

    /// <summary>Storage key shared by every version of the same resource.</summary>
    public string StorageKey => Group + "/" + Plural;

    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    public string GroupVersion => ApiVersion;

    public string ListKind => Kind + "List";

    /// <summary>Built-in controllers and defaults key off this (e.g. "apps/Deployment").</summary>
    public string GroupKind => Group + "/" + Kind;

    public bool SupportsVerb(string verb) => Verbs.Contains(verb);

    public static readonly string[] AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public override string ToString() => $"{Plural}.{Group}/{Version}";
}

/// <summary>Where a resource keeps the fields of its <c>/scale</c> subresource.</summary>
internal sealed record ScaleSpec(string SpecReplicasPath, string StatusReplicasPath, string? LabelSelectorPath);

/// <summary>A Table column from a CRD's additionalPrinterColumns.</summary>
internal sealed record PrinterColumn(string Name, string Type, string JsonPath, int Priority, string Description, string Format);
