namespace Gitlab.Agent.Testing.Storage;

/// <summary>A committed change: ADDED, MODIFIED or DELETED (the object carries the new resourceVersion).</summary>
internal sealed record WatchEvent(string Type, StoredObject Object, StoredObject? Previous)
{
    public long ResourceVersion => Object.ResourceVersion;

    public const string Added = "ADDED";
    public const string Modified = "MODIFIED";
    public const string Deleted = "DELETED";
}
