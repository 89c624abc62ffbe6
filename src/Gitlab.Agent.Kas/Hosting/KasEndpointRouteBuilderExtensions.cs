using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Modules;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the endpoints of the KAS runtime and its modules.</summary>
public static class KasEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Calls <see cref="IKasModule.MapEndpoints"/> of every registered module once per configured listener, with a route
    /// group whose endpoints are served only on that listener (requests on another listener get 404 / gRPC Unimplemented).
    /// </summary>
    public static IEndpointRouteBuilder MapKas(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var settings = endpoints.ServiceProvider.GetService<KasRuntimeSettings>()
            ?? throw new InvalidOperationException("MapKas() needs the KAS services: call services.AddKas(...) first.");
        var modules = endpoints.ServiceProvider.GetServices<IKasModule>().ToArray();
        foreach (var listener in settings.Listeners.Select(l => l.Listener))
        {
            var group = endpoints.MapGroup("").WithMetadata(new KasListenerMetadata(listener));
            foreach (var module in modules)
            {
                module.MapEndpoints(listener, group);
            }
        }

        return endpoints;
    }
}
