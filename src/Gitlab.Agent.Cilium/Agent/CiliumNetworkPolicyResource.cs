using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Gitlab.Agent.Cilium.Agent;

/// <summary>A <c>cilium.io/v2</c> CiliumNetworkPolicy as read from the API server; everything but metadata is kept as JSON.</summary>
internal sealed class CiliumNetworkPolicyResource : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "cilium.io";
    public const string Version = "v2";
    public const string Plural = "ciliumnetworkpolicies";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{Group}/{Version}";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "CiliumNetworkPolicy";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Fields { get; set; }
}

/// <summary>A list of <see cref="CiliumNetworkPolicyResource"/>.</summary>
internal sealed class CiliumNetworkPolicyResourceList : IKubernetesObject<V1ListMeta>, IItems<CiliumNetworkPolicyResource>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "cilium.io/v2";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "CiliumNetworkPolicyList";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<CiliumNetworkPolicyResource> Items { get; set; } = [];
}
