using Gitlab.Agent.Protocol.Cilium.Flow;

namespace Gitlab.Agent.Cilium.Policies;

/// <summary>
/// One side of a flow as the matcher sees it: its namespace and its labels in <c>source:key=value</c> form. Labels are
/// read in place (no parsing or copying), because this runs for every flow.
/// </summary>
internal readonly struct EndpointLabels
{
    private static readonly string[] NoLabels = [];
    private readonly IReadOnlyList<string>? _labels;

    private EndpointLabels(string @namespace, IReadOnlyList<string> labels, bool namespaceLabelMissing)
    {
        Namespace = @namespace;
        _labels = labels;
        NamespaceLabelMissing = namespaceLabelMissing;
    }

    /// <summary>Kubernetes namespace, empty for endpoints outside any namespace (world, host, ...).</summary>
    public string Namespace { get; }

    /// <summary>The raw labels.</summary>
    public IReadOnlyList<string> Labels => _labels ?? NoLabels;

    /// <summary>
    /// Whether the namespace is known but no <c>io.kubernetes.pod.namespace</c> label was reported; selectors then see a
    /// <c>k8s:io.kubernetes.pod.namespace=&lt;namespace&gt;</c> label.
    /// </summary>
    public bool NamespaceLabelMissing { get; }

    /// <summary>
    /// The view of <paramref name="endpoint"/>. The namespace comes from <c>Endpoint.namespace</c> or, when that is
    /// empty, from the <c>io.kubernetes.pod.namespace</c> label.
    /// </summary>
    public static EndpointLabels From(Endpoint? endpoint)
    {
        if (endpoint is null)
        {
            return new EndpointLabels(string.Empty, NoLabels, false);
        }

        var labels = endpoint.Labels;
        string? labelNamespace = null;
        for (var i = 0; i < labels.Count; i++)
        {
            if (CiliumLabel.TryMatch(labels[i], CiliumLabel.AnySource, CiliumLabel.NamespaceKey, out var value))
            {
                labelNamespace = endpoint.Namespace.Length > 0 && value.SequenceEqual(endpoint.Namespace) ? endpoint.Namespace : value.ToString();
                break;
            }
        }

        var ns = endpoint.Namespace.Length > 0 ? endpoint.Namespace : labelNamespace ?? string.Empty;
        return new EndpointLabels(ns, labels, labelNamespace is null && ns.Length > 0);
    }

    /// <summary>Whether the endpoint carries the reserved label <c>reserved:<paramref name="name"/></c>.</summary>
    public bool HasReserved(string name)
    {
        var labels = Labels;
        for (var i = 0; i < labels.Count; i++)
        {
            if (CiliumLabel.TryMatch(labels[i], CiliumLabel.ReservedSource, name, out _))
            {
                return true;
            }
        }

        return false;
    }
}
