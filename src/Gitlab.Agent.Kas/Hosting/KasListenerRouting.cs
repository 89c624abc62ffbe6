using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;

namespace Gitlab.Agent.Kas;

/// <summary>Marks an endpoint as served only on one listener (added by <c>MapKas()</c> to each listener's route group).</summary>
internal sealed record KasListenerMetadata(KasListener Listener);

/// <summary>
/// Tags every connection accepted by a KAS listener with the listener (Kestrel connection middleware), so requests
/// can be matched against <see cref="KasListenerMetadata"/>.
/// </summary>
internal static class KasListenerTag
{
    private static readonly object Key = typeof(KasListenerTag);

    public static void Use(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listenOptions, KasListener listener) =>
        listenOptions.Use(next => connection =>
        {
            connection.Items[Key] = listener;
            return next(connection);
        });

    public static KasListener? Get(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(Key, out var value) == true ? (KasListener?)value : null;

    /// <summary>For tests and custom transports: tags a connection that does not come through a KAS listener.</summary>
    public static void Set(ConnectionContext connection, KasListener listener) => connection.Items[Key] = listener;
}

/// <summary>
/// Drops route candidates whose <see cref="KasListenerMetadata"/> names another listener than the one the request
/// arrived on; such requests end as 404 (gRPC: <c>Unimplemented</c>). Endpoints without the metadata (mapped by the
/// host outside <c>MapKas()</c>) stay reachable on every listener.
/// </summary>
internal sealed class KasListenerMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => -1000;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => e.Metadata.GetMetadata<KasListenerMetadata>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var listener = KasListenerTag.Get(httpContext);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i)
                && candidates[i].Endpoint.Metadata.GetMetadata<KasListenerMetadata>() is { } metadata
                && metadata.Listener != listener)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}
