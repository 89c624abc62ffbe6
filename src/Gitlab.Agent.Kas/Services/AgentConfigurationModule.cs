using Gitlab.Agent.Kas.Modules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Gitlab.Agent.Kas.Services;

/// <summary>Built-in module: <c>AgentConfiguration</c> and <c>AgentRegistrar</c> on the agent listener.</summary>
internal sealed class AgentConfigurationModule : IKasModule
{
    public string Name => "agent_configuration";

    public void MapEndpoints(KasListener listener, IEndpointRouteBuilder endpoints)
    {
        if (listener == KasListener.Agent)
        {
            endpoints.MapGrpcService<AgentConfigurationService>();
            endpoints.MapGrpcService<AgentRegistrarService>();
        }
    }
}
