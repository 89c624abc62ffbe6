namespace Gitlab.Agent.Cilium.Policies;

/// <summary>
/// One Cilium label in <c>source:key=value</c> form, as Hubble reports them on endpoints (for example
/// <c>k8s:app=web</c>, <c>reserved:world</c>). A label without a source has an empty <see cref="Source"/>.
/// </summary>
internal readonly record struct CiliumLabel(string Source, string Key, string Value)
{
    /// <summary>Label key Kubernetes uses for the pod namespace.</summary>
    public const string NamespaceKey = "io.kubernetes.pod.namespace";

    /// <summary>Source of labels that come from Kubernetes.</summary>
    public const string KubernetesSource = "k8s";

    /// <summary>Selector source that matches labels of every source.</summary>
    public const string AnySource = "any";

    /// <summary>Source of Cilium's reserved labels (<c>reserved:world</c>, <c>reserved:host</c>, ...).</summary>
    public const string ReservedSource = "reserved";

    /// <summary>Parses <c>source:key=value</c>, <c>source:key</c> or <c>key=value</c>.</summary>
    public static CiliumLabel Parse(string label)
    {
        var equals = label.IndexOf('=', StringComparison.Ordinal);
        var colon = label.IndexOf(':', StringComparison.Ordinal);
        var source = string.Empty;
        var start = 0;
        if (colon > 0 && (equals < 0 || colon < equals))
        {
            source = label[..colon];
            start = colon + 1;
        }

        return equals < 0
            ? new CiliumLabel(source, label[start..], string.Empty)
            : new CiliumLabel(source, label[start..equals], label[(equals + 1)..]);
    }

    /// <summary>
    /// Splits a selector key such as <c>k8s:app</c> or <c>app</c> into source and key. A key without a source selects
    /// labels of any source, as in Cilium.
    /// </summary>
    public static (string Source, string Key) ParseSelectorKey(string key)
    {
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? (key[..colon], key[(colon + 1)..]) : (AnySource, key);
    }

    /// <summary>
    /// Whether the raw label <paramref name="label"/> (<c>source:key=value</c>) has <paramref name="key"/> from a source
    /// that <paramref name="selectorSource"/> selects; <paramref name="value"/> is its value. Allocation-free.
    /// </summary>
    public static bool TryMatch(string label, string selectorSource, string key, out ReadOnlySpan<char> value)
    {
        var span = label.AsSpan();
        var equals = span.IndexOf('=');
        var colon = span.IndexOf(':');
        ReadOnlySpan<char> source = default;
        var start = 0;
        if (colon > 0 && (equals < 0 || colon < equals))
        {
            source = span[..colon];
            start = colon + 1;
        }

        var labelKey = equals < 0 ? span[start..] : span[start..equals];
        value = equals < 0 ? default : span[(equals + 1)..];
        return labelKey.SequenceEqual(key) && (selectorSource == AnySource || source.SequenceEqual(selectorSource));
    }

    /// <summary>Whether this label has <paramref name="key"/> from a source that <paramref name="selectorSource"/> selects.</summary>
    public bool HasKey(string selectorSource, string key) =>
        string.Equals(Key, key, StringComparison.Ordinal) &&
        (selectorSource == AnySource || string.Equals(Source, selectorSource, StringComparison.Ordinal));
}
