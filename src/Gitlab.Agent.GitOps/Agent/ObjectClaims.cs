using System.Collections.Concurrent;

namespace Gitlab.Agent.GitOps.Agent;

/// <summary>
/// Which manifest project of this agent declares which object. The first project to declare an object keeps it;
/// another project declaring it gets a clear error instead of both fighting over it.
/// </summary>
internal sealed class ObjectClaims
{
    private readonly ConcurrentDictionary<ObjectId, string> _owners = new();

    /// <summary>Claims <paramref name="id"/> for <paramref name="project"/>; returns the other project when it is taken.</summary>
    public string? TryClaim(ObjectId id, string project)
    {
        var owner = _owners.GetOrAdd(id, project);
        return owner == project ? null : owner;
    }

    /// <summary>Releases every claim of <paramref name="project"/> that is not in <paramref name="keep"/>.</summary>
    public void Retain(string project, IReadOnlySet<ObjectId> keep)
    {
        foreach (var (id, owner) in _owners)
        {
            if (owner == project && !keep.Contains(id))
            {
                _owners.TryRemove(new KeyValuePair<ObjectId, string>(id, owner));
            }
        }
    }

    public void ReleaseAll(string project) => Retain(project, new HashSet<ObjectId>());
}
