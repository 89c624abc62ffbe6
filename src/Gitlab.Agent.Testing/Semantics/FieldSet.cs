using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>
/// A set of field paths (what one manager owns), with the FieldsV1 encoding of the real apiserver:
/// <c>f:</c>/<c>k:</c>/<c>v:</c>/<c>i:</c> members sorted like structured-merge-diff, <c>".": {}</c> when a
/// path with children is itself a member.
/// </summary>
internal sealed class FieldSet
{
    private readonly HashSet<FieldPath> _paths;

    /// <summary>Creates an empty set.</summary>
    public FieldSet() => _paths = [];

    /// <summary>Creates a set of the given paths.</summary>
    public FieldSet(IEnumerable<FieldPath> paths) => _paths = [.. paths];

    /// <summary>Number of paths.</summary>
    public int Count => _paths.Count;

    /// <summary>True when the set has no paths.</summary>
    public bool IsEmpty => _paths.Count == 0;

    /// <summary>The paths in structured-merge-diff iteration order.</summary>
    public IReadOnlyList<FieldPath> Ordered()
    {
        var list = _paths.ToList();
        list.Sort(FieldPath.CompareIterationOrder);
        return list;
    }

    /// <summary>Adds a path; the root path is ignored.</summary>
    public void Insert(FieldPath path)
    {
        if (path.Count > 0)
        {
            _paths.Add(path);
        }
    }

    /// <summary>Enumerates the members in no particular order (allocation-free <c>foreach</c>).</summary>
    /// <returns>The enumerator of the underlying set.</returns>
    public HashSet<FieldPath>.Enumerator GetEnumerator() => _paths.GetEnumerator();

    /// <summary>Whether the sets have a member in common.</summary>
    public bool Overlaps(FieldSet other) => _paths.Overlaps(other._paths);

    /// <summary>Whether the path is a member.</summary>
    public bool Has(FieldPath path) => _paths.Contains(path);

    /// <summary>Removes a path; returns true when it was present.</summary>
    public bool Remove(FieldPath path) => _paths.Remove(path);

    /// <summary>A new set with the members of both.</summary>
    public FieldSet Union(FieldSet other) => new(_paths.Concat(other._paths));

    /// <summary>A new set without the members of <paramref name="other"/>.</summary>
    public FieldSet Difference(FieldSet other) => new(_paths.Where(p => !other.Has(p)));

    /// <summary>A new set with the members in both.</summary>
    public FieldSet Intersection(FieldSet other) => new(_paths.Where(other.Has));

    /// <summary>A new set without the paths the predicate matches.</summary>
    public FieldSet Without(Func<FieldPath, bool> predicate) => new(_paths.Where(p => !predicate(p)));

    /// <summary>All members and every prefix of them (paths "covered" by this set).</summary>
    public HashSet<FieldPath> PrefixClosure()
    {
        var closure = new HashSet<FieldPath>();
        foreach (var path in _paths)
        {
            for (var length = 1; length <= path.Count; length++)
            {
                closure.Add(path.Prefix(length));
            }
        }

        return closure;
    }

    /// <summary>Encodes the set as a FieldsV1 object.</summary>
    public JsonObject ToFieldsV1()
    {
        var root = new Node();
        foreach (var path in _paths)
        {
            var node = root;
            foreach (var element in path.Elements)
            {
                node.Children ??= new Dictionary<PathElement, Node>();
                if (!node.Children.TryGetValue(element, out var child))
                {
                    child = new Node();
                    node.Children[element] = child;
                }

                node = child;
            }

            node.IsMember = true;
        }

        return Emit(root, includeSelf: false);
    }

    /// <summary>Decodes a FieldsV1 object.</summary>
    /// <exception cref="FormatException">The object is not valid FieldsV1.</exception>
    public static FieldSet FromFieldsV1(JsonObject? fields)
    {
        var set = new FieldSet();
        if (fields is not null)
        {
            Read(fields, FieldPath.Root, set);
        }

        return set;
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", Ordered());

    private static void Read(JsonObject obj, FieldPath prefix, FieldSet set)
    {
        foreach (var (name, value) in obj)
        {
            if (name == ".")
            {
                set.Insert(prefix);
                continue;
            }

            var path = prefix.Append(PathElement.Parse(name));
            if (value is not JsonObject child)
            {
                throw new FormatException($"FieldsV1 member {GoFormat.Quote(name)} must be an object");
            }

            if (child.Count == 0)
            {
                set.Insert(path);
            }
            else
            {
                Read(child, path, set);
            }
        }
    }

    private static JsonObject Emit(Node node, bool includeSelf)
    {
        var obj = new JsonObject();
        if (includeSelf && node.IsMember && node.Children is { Count: > 0 })
        {
            obj["."] = new JsonObject();
        }

        if (node.Children is not null)
        {
            // Members in structured-merge-diff order (PathElement ordering), sorted once per level.
            var elements = new PathElement[node.Children.Count];
            node.Children.Keys.CopyTo(elements, 0);
            if (elements.Length > 1)
            {
                Array.Sort(elements);
            }

            foreach (var element in elements)
            {
                var child = node.Children[element];
                obj[element.Encoded] = child.Children is { Count: > 0 } ? Emit(child, includeSelf: true) : new JsonObject();
            }
        }

        return obj;
    }

    private sealed class Node
    {
        public bool IsMember { get; set; }

        public Dictionary<PathElement, Node>? Children { get; set; }
    }
}
