using Microsoft.AspNetCore.Routing;

namespace Gitlab.Agent.Kas.Modules;

/// <summary>
/// The server half of a feature. KAS calls <see cref="MapEndpoints"/> once per listener with a route builder whose
/// endpoints are served only on that listener.
/// </summary>
public interface IKasModule
{
    /// <summary>Module name used in logs and metrics (for example <c>gitops</c>).</summary>
    string Name { get; }

    /// <summary>Maps this module's endpoints (gRPC services or HTTP routes) for <paramref name="listener"/>.</summary>
    void MapEndpoints(KasListener listener, IEndpointRouteBuilder endpoints);
}
