using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Semantics;
using Gitlab.Agent.Testing.Server;

namespace Gitlab.Agent.Testing.Auth;

/// <summary>RBAC decisions over a snapshot of the stored Roles, ClusterRoles and their bindings.</summary>
internal sealed class RbacEvaluator
{
    private readonly RbacAuthorizer _authorizer;

    public RbacEvaluator(IReadOnlyList<JsonObject> roles, IReadOnlyList<JsonObject> clusterRoles, IReadOnlyList<JsonObject> roleBindings, IReadOnlyList<JsonObject> clusterRoleBindings) =>
        _authorizer = new RbacAuthorizer(roles, clusterRoles, roleBindings, clusterRoleBindings);

    public (bool Allowed, string Reason) Authorize(RequestUser user, AccessAttributes attrs)
    {
        var info = ToUserInfo(user);
        return attrs.Path is not null
            ? _authorizer.Authorize(info, new NonResourceAttributes(attrs.Verb, attrs.Path))
            : _authorizer.Authorize(info, new ResourceAttributes(attrs.Verb, attrs.Group, attrs.Resource, attrs.Subresource, attrs.Namespace, attrs.Name));
    }

    public JsonObject RulesReviewStatus(RequestUser user, string ns) => _authorizer.RulesReviewStatus(ToUserInfo(user), ns);

    private static UserInfo ToUserInfo(RequestUser user) => new(user.Name, user.Groups, user.Uid, user.Extra);

    /// <summary>The ClusterRoles and ClusterRoleBindings every new cluster starts with.</summary>
    public static (IReadOnlyList<JsonObject> ClusterRoles, IReadOnlyList<JsonObject> ClusterRoleBindings) BootstrapPolicy() => RbacAuthorizer.BootstrapPolicy();
}
