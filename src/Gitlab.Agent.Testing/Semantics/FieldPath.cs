namespace Gitlab.Agent.Testing.Semantics;

/// <summary>An immutable path of <see cref="PathElement"/>s (a field owned by a manager).</summary>
internal sealed class FieldPath : IEquatable<FieldPath>
{
    private readonly PathElement[] _elements;
    private readonly int _hash;

    /// <summary>The empty (root) path.</summary>
    public static readonly FieldPath Root = new([]);

    private FieldPath(PathElement[] elements)
    {
        _elements = elements;
        var hash = new HashCode();
        foreach (var element in elements)
        {
            hash.Add(element);
        }

        _hash = hash.ToHashCode();
    }

    /// <summary>The elements.</summary>
    public IReadOnlyList<PathElement> Elements => _elements;

    /// <summary>Number of elements.</summary>
    public int Count => _elements.Length;

    /// <summary>Creates a path from elements.</summary>
    public static FieldPath Of(params PathElement[] elements) => new([.. elements]);

    /// <summary>Creates a path of field names, e.g. <c>FieldPath.Fields("spec", "replicas")</c>.</summary>
    public static FieldPath Fields(params string[] names) => new(names.Select(PathElement.Field).ToArray());

    /// <summary>This path with one more element.</summary>
    public FieldPath Append(PathElement element) => new([.. _elements, element]);

    /// <summary>The first <paramref name="count"/> elements.</summary>
    public FieldPath Prefix(int count) => new(_elements[..count]);

    /// <summary>Whether <paramref name="prefix"/> is a prefix of (or equal to) this path.</summary>
    public bool StartsWith(FieldPath prefix)
    {
        if (prefix.Count > Count)
        {
            return false;
        }

        for (var i = 0; i < prefix.Count; i++)
        {
            if (!_elements[i].Equals(prefix._elements[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The path as conflict messages print it: <c>.spec.containers[name="nginx"].image</c>.</summary>
    public override string ToString() => string.Concat(_elements.Select(e => e.ToString()));

    /// <inheritdoc />
    public bool Equals(FieldPath? other)
    {
        if (other is null || other._hash != _hash || other.Count != Count)
        {
            return false;
        }

        for (var i = 0; i < Count; i++)
        {
            if (!_elements[i].Equals(other._elements[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as FieldPath);

    /// <inheritdoc />
    public override int GetHashCode() => _hash;

    /// <summary>structured-merge-diff's iteration order: at each level members first, then children, each sorted.</summary>
    public static int CompareIterationOrder(FieldPath a, FieldPath b)
    {
        for (var i = 0; ; i++)
        {
            var restA = a.Count - i;
            var restB = b.Count - i;
            if (restA <= 0 || restB <= 0)
            {
                return restA.CompareTo(restB);
            }

            if (restA == 1 && restB > 1)
            {
                return -1;
            }

            if (restB == 1 && restA > 1)
            {
                return 1;
            }

            var byElement = a._elements[i].CompareTo(b._elements[i]);
            if (byElement != 0)
            {
                return byElement;
            }
        }
    }
}
