namespace Gitlab.Agent.Testing.Server;

/// <summary>The authenticated (possibly impersonated) identity of a request.</summary>
internal sealed record RequestUser(string Name, IReadOnlyList<string> Groups, string? Uid, IReadOnlyDictionary<string, IReadOnlyList<string>> Extra)
{
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> NoExtra = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Identity of the built-in controllers (bypasses authorization; never leaves the process).</summary>
    public static readonly RequestUser System = new("system:kube-controller-manager", ["system:masters", "system:authenticated"], null, NoExtra);

    public bool IsMaster => Groups.Contains("system:masters");
}

/// <summary>Per-request write settings: dry run, field manager, field validation, force.</summary>
internal sealed class WriteContext
{
    public required RequestUser User { get; init; }

    public required string FieldManager { get; init; }

    public bool FieldManagerGiven { get; init; }

    public bool DryRun { get; init; }

    /// <summary>Strict, Warn or Ignore.</summary>
    public string FieldValidation { get; init; } = "Warn";

    public bool Force { get; init; }

    public List<string> Warnings { get; } = [];

    /// <summary>
    /// The current object a write just parsed to compute its proposal, so the commit that follows compares against
    /// the same tree instead of parsing it again (used only while it is still the snapshot being committed over).
    /// </summary>
    internal ParsedSnapshot? Parsed { get; set; }

    /// <summary>The stored object the write's result <see cref="CommittedObject"/> came from.</summary>
    public Storage.StoredObject? Committed { get; set; }

    /// <summary>
    /// The tree <see cref="Committed"/> was serialized from, as the writer returned it: a response for exactly this
    /// instance is <see cref="Storage.StoredObject.Json"/>, serialized once at commit.
    /// </summary>
    public System.Text.Json.Nodes.JsonObject? CommittedObject { get; set; }

    public static WriteContext ForController(string manager) => new() { User = RequestUser.System, FieldManager = manager, FieldManagerGiven = true, FieldValidation = "Ignore" };
}

/// <summary>A stored object and a read-only tree parsed from it.</summary>
internal sealed record ParsedSnapshot(Storage.StoredObject Stored, System.Text.Json.Nodes.JsonObject Tree);
