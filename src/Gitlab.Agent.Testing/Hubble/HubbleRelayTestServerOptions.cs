namespace Gitlab.Agent.Testing.Hubble;

/// <summary>Behaviour of a <see cref="HubbleRelayTestServer"/>.</summary>
public sealed class HubbleRelayTestServerOptions
{
    /// <summary>Nodes announced with <c>NODE_CONNECTED</c> at the start of every GetFlows stream. Default <c>node-1</c>.</summary>
    public IList<string> ConnectedNodes { get; } = ["node-1"];

    /// <summary>Nodes announced with <c>NODE_UNAVAILABLE</c> at the start of every GetFlows stream. Default none.</summary>
    public IList<string> UnavailableNodes { get; } = [];

    /// <summary>
    /// Whether the server honours <c>whitelist</c>/<c>blacklist</c> (verdict, event type, traffic direction, drop reason,
    /// pods, node), <c>since</c> and <c>number</c> like Hubble Relay. When <see langword="false"/> every published response
    /// is sent as is, and a stream replays the whole history: use it to prove a client does not rely on server filtering.
    /// Default <see langword="true"/>.
    /// </summary>
    public bool ApplyFilters { get; set; } = true;

    /// <summary>How many published responses the server keeps for <c>since</c>/<c>number</c> requests (Hubble's ring buffer). Default 65,536.</summary>
    public int HistoryCapacity { get; set; } = 65_536;
}
