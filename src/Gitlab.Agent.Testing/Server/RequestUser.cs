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
    /// The stored object the write's result came from, when the result is that object's frozen instance (its
    /// <see cref="Storage.StoredObject.Json"/> is then the response body, serialized once at commit).
    /// </summary>
    public Storage.StoredObject? Committed { get; set; }

    public static WriteContext ForController(string manager) => new() { User = RequestUser.System, FieldManager = manager, FieldManagerGiven = true, FieldValidation = "Ignore" };
}
