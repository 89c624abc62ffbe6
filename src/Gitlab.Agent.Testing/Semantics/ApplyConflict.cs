namespace Gitlab.Agent.Testing.Semantics;

/// <summary>
/// A field another manager owns and a server-side apply would change. <paramref name="Path"/> is in the form
/// conflict messages use (<c>.spec.replicas</c>, <c>.spec.containers[name="nginx"].image</c>).
/// </summary>
internal sealed record ApplyConflict(string Manager, string Path)
{
    /// <summary>Operation of the conflicting manager's entry (Apply or Update).</summary>
    public string Operation { get; init; } = ManagedFieldsEntry.UpdateOperation;

    /// <summary>API version of the conflicting entry.</summary>
    public string? ApiVersion { get; init; }

    /// <summary>Time of the conflicting entry (RFC 3339), if any.</summary>
    public string? Time { get; init; }

    /// <summary>Subresource of the conflicting entry, if any.</summary>
    public string? Subresource { get; init; }

    /// <summary>Sort key: the manager identifier JSON the apiserver sorts by.</summary>
    internal string Identifier { get; init; } = "";

    /// <summary>The manager as apimachinery's <c>printManager</c> prints it.</summary>
    public string DescribeManager(string fallbackApiVersion)
    {
        var text = GoFormat.Quote(Manager);
        if (!string.IsNullOrEmpty(Subresource))
        {
            text += " with subresource " + GoFormat.Quote(Subresource);
        }

        if (Operation == ManagedFieldsEntry.UpdateOperation)
        {
            text += " using " + (ApiVersion ?? fallbackApiVersion);
            if (Time is not null)
            {
                text += " at " + Time;
            }
        }

        return text;
    }
}
