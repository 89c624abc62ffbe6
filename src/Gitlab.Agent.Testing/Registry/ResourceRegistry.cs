using System.Text.RegularExpressions;

namespace Gitlab.Agent.Testing.Registry;

/// <summary>The served resources: built-ins plus those registered from CRDs. Thread-safe.</summary>
internal sealed partial class ResourceRegistry
{
    private readonly object _sync = new();
    private readonly List<string> _builtinGroupOrder = [];
    private Dictionary<string, ResourceType> _byPath = new(StringComparer.Ordinal);
    private Dictionary<string, ResourceType> _byStorageKey = new(StringComparer.Ordinal);
    private long _revision;

    public ResourceRegistry()
    {
        foreach (var type in BuiltinResources.Create())
        {
            _byPath[PathKey(type.Group, type.Version, type.Plural)] = type;
            if (!_builtinGroupOrder.Contains(type.Group))
            {
                _builtinGroupOrder.Add(type.Group);
            }
        }

        _byStorageKey = IndexByStorageKey(_byPath);
    }

    private static Dictionary<string, ResourceType> IndexByStorageKey(Dictionary<string, ResourceType> byPath) =>
        byPath.Values.GroupBy(t => t.StorageKey, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(t => t.Version, VersionComparer.Instance).First(), StringComparer.Ordinal);

    /// <summary>Bumped whenever the set of served resources changes (discovery/openapi hashes use it).</summary>
    public long Revision => Interlocked.Read(ref _revision);

    public event Action? Changed;

    private static string PathKey(string group, string version, string plural) => group + "/" + version + "/" + plural;

    public bool TryGet(string group, string version, string plural, out ResourceType type)
    {
        var map = Volatile.Read(ref _byPath);
        return map.TryGetValue(PathKey(group, version, plural), out type!);
    }

    public IReadOnlyCollection<ResourceType> All => Volatile.Read(ref _byPath).Values;

    /// <summary>Any served version of a resource with this storage key (group/plural), preferred version first.</summary>
    public ResourceType? FindByStorageKey(string storageKey) => Volatile.Read(ref _byStorageKey).GetValueOrDefault(storageKey);

    public ResourceType? FindByKind(string group, string version, string kind) =>
        All.FirstOrDefault(t => t.Group == group && t.Version == version && t.Kind == kind);

    public ResourceType? FindByGroupKind(string group, string kind) =>
        All.Where(t => t.Group == group && t.Kind == kind).OrderBy(t => t.Version, VersionComparer.Instance).FirstOrDefault();

    /// <summary>Groups in discovery order, each with its versions in preference order.</summary>
    public IReadOnlyList<(string Group, IReadOnlyList<string> Versions)> Groups()
    {
        var all = All;
        var groups = all.Select(t => t.Group).Distinct().ToList();
        var ordered = _builtinGroupOrder.Where(groups.Contains)
            .Concat(groups.Where(g => !_builtinGroupOrder.Contains(g)).Order(StringComparer.Ordinal))
            .ToList();
        return ordered.Select(g => (g, (IReadOnlyList<string>)all.Where(t => t.Group == g).Select(t => t.Version).Distinct()
            .OrderBy(v => v, VersionComparer.Instance).ToList())).ToList();
    }

    public IReadOnlyList<ResourceType> InGroupVersion(string group, string version) =>
        All.Where(t => t.Group == group && t.Version == version).ToList();

    /// <summary>Replaces every version of <paramref name="storageKey"/> with <paramref name="types"/> (empty = unregister).</summary>
    public void ReplaceCustom(string storageKey, IReadOnlyList<ResourceType> types)
    {
        lock (_sync)
        {
            var copy = new Dictionary<string, ResourceType>(_byPath, StringComparer.Ordinal);
            foreach (var key in copy.Where(p => p.Value.IsCustom && p.Value.StorageKey == storageKey).Select(p => p.Key).ToList())
            {
                copy.Remove(key);
            }

            foreach (var t in types)
            {
                copy[PathKey(t.Group, t.Version, t.Plural)] = t;
            }

            Volatile.Write(ref _byStorageKey, IndexByStorageKey(copy));
            Volatile.Write(ref _byPath, copy);
            Interlocked.Increment(ref _revision);
        }

        Changed?.Invoke();
    }

    /// <summary>Orders Kubernetes versions by priority: GA > beta > alpha, then by number (v2 > v1, v1beta2 > v1beta1), then others by name.</summary>
    internal sealed partial class VersionComparer : IComparer<string>
    {
        public static readonly VersionComparer Instance = new();

        [GeneratedRegex(@"^v(\d+)(?:(alpha|beta)(\d+))?$")]
        private static partial Regex KubeVersion();

        public int Compare(string? x, string? y)
        {
            var (kx, mx, nx) = Parse(x ?? string.Empty);
            var (ky, my, ny) = Parse(y ?? string.Empty);
            if (kx != ky)
            {
                return ky.CompareTo(kx);
            }

            if (kx == 0)
            {
                return string.CompareOrdinal(x, y);
            }

            if (mx != my)
            {
                return my.CompareTo(mx);
            }

            return ny.CompareTo(nx);
        }

        private static (int Kind, int Major, int Minor) Parse(string v)
        {
            var m = KubeVersion().Match(v);
            if (!m.Success)
            {
                return (0, 0, 0);
            }

            var major = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (!m.Groups[2].Success)
            {
                return (3, major, 0);
            }

            var minor = int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
            return (m.Groups[2].Value == "beta" ? 2 : 1, major, minor);
        }
    }
}
