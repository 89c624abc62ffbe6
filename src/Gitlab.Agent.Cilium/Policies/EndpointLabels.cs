using Gitlab.Agent.Protocol.Cilium.Flow;

namespace Gitlab.Agent.Cilium.Policies;

/// <summary>The parsed identity of one side of a flow: namespace and labels.</summary>
internal sealed class EndpointLabels
{
    /// <summary>An endpoint Hubble did not report.</summary>
    public static readonly EndpointLabels Missing = new(string.Empty, []);

    public EndpointLabels(string @namespace, CiliumLabel[] labels)
    {
        Namespace = @namespace;
        Labels = labels;
    }

    /// <summary>Kubernetes namespace, empty for endpoints outside any namespace (world, host, ...).</summary>
    public string Namespace { get; }

    /// <summary>The endpoint's labels, including <c>k8s:io.kubernetes.pod.namespace</c> when the namespace is known.</summary>
    public CiliumLabel[] Labels { get; }

    /// <summary>
    /// Builds the label set of <paramref name="endpoint"/>. The namespace comes from <c>Endpoint.namespace</c> or, when
    /// that is empty, from the <c>io.kubernetes.pod.namespace</c> label; a missing namespace label is added.
    /// </summary>
    public static EndpointLabels From(Endpoint? endpoint)
    {
        if (endpoint is null)
        {
            return Missing;
        }

        var labels = new CiliumLabel[endpoint.Labels.Count];
        string? labelNamespace = null;
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = CiliumLabel.Parse(endpoint.Labels[i]);
            if (labelNamespace is null && labels[i].Key == CiliumLabel.NamespaceKey)
            {
                labelNamespace = labels[i].Value;
            }
        }

        var ns = endpoint.Namespace.Length > 0 ? endpoint.Namespace : labelNamespace ?? string.Empty;
        if (labelNamespace is null && ns.Length > 0)
        {
            Array.Resize(ref labels, labels.Length + 1);
            labels[^1] = new CiliumLabel(CiliumLabel.KubernetesSource, CiliumLabel.NamespaceKey, ns);
        }

        return new EndpointLabels(ns, labels);
    }

    /// <summary>Whether the endpoint carries the reserved label <c>reserved:<paramref name="name"/></c>.</summary>
    public bool HasReserved(string name)
    {
        foreach (var label in Labels)
        {
            if (label.Source == CiliumLabel.ReservedSource && label.Key == name)
            {
                return true;
            }
        }

        return false;
    }
}
