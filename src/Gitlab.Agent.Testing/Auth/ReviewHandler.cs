using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Registry;
using Gitlab.Agent.Testing.Server;

namespace Gitlab.Agent.Testing.Auth;

/// <summary>SelfSubjectAccessReview, SelfSubjectRulesReview, SubjectAccessReview and LocalSubjectAccessReview.</summary>
internal sealed class ReviewHandler
{
    private readonly AuthService _auth;
    private readonly Func<RbacEvaluator?> _rbac;

    public ReviewHandler(AuthService auth, Func<RbacEvaluator?> rbac)
    {
        _auth = auth;
        _rbac = rbac;
    }

    public JsonObject Evaluate(ResourceType type, string ns, JsonObject body, RequestUser user)
    {
        var spec = body["spec"] as JsonObject ?? new JsonObject();
        var result = new JsonObject
        {
            ["kind"] = type.Kind,
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = spec.DeepClone(),
        };
        switch (type.Plural)
        {
            case "selfsubjectreviews":
                result.Remove("spec");
                var userInfo = new JsonObject { ["username"] = user.Name };
                if (user.Uid is not null)
                {
                    userInfo["uid"] = user.Uid;
                }

                userInfo["groups"] = new JsonArray(user.Groups.Select(g => (JsonNode)g).ToArray());
                if (user.Extra.Count > 0)
                {
                    var extra = new JsonObject();
                    foreach (var (k, v) in user.Extra)
                    {
                        extra[k] = new JsonArray(v.Select(x => (JsonNode)x).ToArray());
                    }

                    userInfo["extra"] = extra;
                }

                result["status"] = new JsonObject { ["userInfo"] = userInfo };
                return result;
            case "selfsubjectrulesreviews":
                result["status"] = RulesReview(user, spec["namespace"]?.GetValue<string>() ?? string.Empty);
                return result;
            case "selfsubjectaccessreviews":
                result["status"] = AccessReview(user, spec, ns: null);
                return result;
            case "localsubjectaccessreviews":
                result["metadata"]!["namespace"] = ns;
                result["status"] = AccessReview(SubjectOf(spec), spec, ns);
                return result;
            default:
                result["status"] = AccessReview(SubjectOf(spec), spec, ns: null);
                return result;
        }
    }

    private static RequestUser SubjectOf(JsonObject spec)
    {
        var groups = (spec["groups"] as JsonArray)?.Select(g => g!.GetValue<string>()).ToList() ?? [];
        var extra = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (spec["extra"] is JsonObject e)
        {
            foreach (var (k, v) in e)
            {
                extra[k] = (v as JsonArray)?.Select(x => x!.GetValue<string>()).ToList() ?? [];
            }
        }

        return new RequestUser(spec["user"]?.GetValue<string>() ?? string.Empty, groups, spec["uid"]?.GetValue<string>(), extra);
    }

    private JsonObject AccessReview(RequestUser user, JsonObject spec, string? ns)
    {
        AccessAttributes attrs;
        if (spec["resourceAttributes"] is JsonObject ra)
        {
            var raNs = ns ?? ra["namespace"]?.GetValue<string>();
            attrs = new AccessAttributes(
                ra["verb"]?.GetValue<string>() ?? string.Empty,
                ra["group"]?.GetValue<string>() ?? string.Empty,
                ra["resource"]?.GetValue<string>() ?? string.Empty,
                NullIfEmpty(ra["subresource"]?.GetValue<string>()),
                NullIfEmpty(raNs),
                NullIfEmpty(ra["name"]?.GetValue<string>()),
                null);
        }
        else if (spec["nonResourceAttributes"] is JsonObject nra)
        {
            attrs = new AccessAttributes(nra["verb"]?.GetValue<string>() ?? string.Empty, string.Empty, string.Empty, null, null, null, nra["path"]?.GetValue<string>() ?? string.Empty);
        }
        else
        {
            throw KubeApiException.Invalid("authorization.k8s.io", "SelfSubjectAccessReview", string.Empty,
                [FieldError.InvalidValue("spec.resourceAttributes", "null", "exactly one of nonResourceAttributes or resourceAttributes must be specified")]);
        }

        var (allowed, reason) = _auth.Authorize(user, attrs);
        var status = new JsonObject { ["allowed"] = allowed };
        if (reason.Length > 0)
        {
            status["reason"] = reason;
        }

        return status;
    }

    private JsonObject RulesReview(RequestUser user, string ns)
    {
        if (!_auth.EnableRbac || user.IsMaster)
        {
            return new JsonObject
            {
                ["resourceRules"] = new JsonArray(new JsonObject { ["verbs"] = new JsonArray("*"), ["apiGroups"] = new JsonArray("*"), ["resources"] = new JsonArray("*") }),
                ["nonResourceRules"] = new JsonArray(new JsonObject { ["verbs"] = new JsonArray("*"), ["nonResourceURLs"] = new JsonArray("*") }),
                ["incomplete"] = false,
            };
        }

        var rbac = _rbac() ?? throw KubeApiException.Internal("RBAC is not available");
        return rbac.RulesReviewStatus(user, ns);
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
