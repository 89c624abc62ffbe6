using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Server;

namespace Gitlab.Agent.Testing.Auth;

/// <summary>RBAC decisions over a snapshot of the stored Roles, ClusterRoles and their bindings.</summary>
internal sealed class RbacEvaluator
{
    private readonly IReadOnlyList<JsonObject> _roles;
    private readonly IReadOnlyList<JsonObject> _clusterRoles;
    private readonly IReadOnlyList<JsonObject> _roleBindings;
    private readonly IReadOnlyList<JsonObject> _clusterRoleBindings;

    public RbacEvaluator(IReadOnlyList<JsonObject> roles, IReadOnlyList<JsonObject> clusterRoles, IReadOnlyList<JsonObject> roleBindings, IReadOnlyList<JsonObject> clusterRoleBindings)
    {
        _roles = roles;
        _clusterRoles = clusterRoles;
        _roleBindings = roleBindings;
        _clusterRoleBindings = clusterRoleBindings;
    }

    public (bool Allowed, string Reason) Authorize(RequestUser user, AccessAttributes attrs) =>
        throw KubeApiException.Internal("RBAC evaluation is not available yet in this build");

    public JsonObject RulesReviewStatus(RequestUser user, string ns) =>
        throw KubeApiException.Internal("RBAC evaluation is not available yet in this build");

    internal int Count => _roles.Count + _clusterRoles.Count + _roleBindings.Count + _clusterRoleBindings.Count;
}
