using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>Outcome of <see cref="FieldManager.Apply"/>: the new object, or the conflicts that prevented it.</summary>
internal sealed class ApplyResult
{
    /// <summary>Creates a result.</summary>
    public ApplyResult(JsonObject? obj, IReadOnlyList<ApplyConflict> conflicts, bool changed)
    {
        Object = obj;
        Conflicts = conflicts;
        Changed = changed;
    }

    /// <summary>The object to store (managedFields set), or null when there are conflicts.</summary>
    public JsonObject? Object { get; }

    /// <summary>Conflicts (empty on success); the server answers 409 with <see cref="FieldManager.ConflictStatus"/>.</summary>
    public IReadOnlyList<ApplyConflict> Conflicts { get; }

    /// <summary>Whether the object (including managedFields) differs from the live one; false = no-op, no new resourceVersion.</summary>
    public bool Changed { get; }
}
