using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>
/// Role-based access control as the apiserver's RBAC authorizer evaluates it over stored Role, ClusterRole,
/// RoleBinding and ClusterRoleBinding objects: cluster role bindings first, then role bindings of the request's
/// namespace; <c>*</c> in verbs, apiGroups and resources; <c>resource/subresource</c> and <c>*/subresource</c>;
/// resourceNames; nonResourceURLs with a trailing <c>*</c>; aggregated cluster roles. Members of
/// <c>system:masters</c> are allowed everything (the apiserver's privileged-group authorizer).
/// </summary>
internal sealed class RbacAuthorizer
{
    private const string RbacGroup = "rbac.authorization.k8s.io";

    private readonly Dictionary<(string Namespace, string Name), JsonObject> _roles = [];
    private readonly Dictionary<string, JsonObject> _clusterRoles = new(StringComparer.Ordinal);
    private readonly List<JsonObject> _roleBindings;
    private readonly List<JsonObject> _clusterRoleBindings;

    /// <summary>Creates an authorizer over the given stored objects.</summary>
    public RbacAuthorizer(IEnumerable<JsonObject> roles, IEnumerable<JsonObject> clusterRoles, IEnumerable<JsonObject> roleBindings, IEnumerable<JsonObject> clusterRoleBindings)
    {
        foreach (var role in roles)
        {
            _roles[(Text(role["metadata"]?["namespace"]), Text(role["metadata"]?["name"]))] = role;
        }

        foreach (var clusterRole in clusterRoles)
        {
            _clusterRoles[Text(clusterRole["metadata"]?["name"])] = clusterRole;
        }

        _roleBindings = [.. roleBindings];
        _clusterRoleBindings = [.. clusterRoleBindings];
    }

    /// <summary>Authorizes a resource request; the reason names the binding that allowed it (empty when denied).</summary>
    public (bool Allowed, string Reason) Authorize(UserInfo user, ResourceAttributes attributes)
        => Authorize(user, attributes.Namespace ?? "", rule => ResourceRuleAllows(rule, attributes));

    /// <summary>Authorizes a non-resource request (e.g. <c>get /healthz</c>).</summary>
    public (bool Allowed, string Reason) Authorize(UserInfo user, NonResourceAttributes attributes)
        => Authorize(user, "", rule => NonResourceRuleAllows(rule, attributes));

    /// <summary>
    /// The status of a SelfSubjectRulesReview: every rule that applies to the user in the namespace
    /// (<c>resourceRules</c>, <c>nonResourceRules</c>, <c>incomplete</c>, and <c>evaluationError</c> when a role is missing).
    /// </summary>
    public JsonObject RulesReviewStatus(UserInfo user, string @namespace)
    {
        var resourceRules = new JsonArray();
        var nonResourceRules = new JsonArray();
        var errors = VisitRules(user, @namespace, (_, rule) =>
        {
            if (rule.Resources.Count > 0)
            {
                var entry = new JsonObject { ["verbs"] = Array(rule.Verbs), ["apiGroups"] = Array(rule.ApiGroups), ["resources"] = Array(rule.Resources) };
                if (rule.ResourceNames.Count > 0)
                {
                    entry["resourceNames"] = Array(rule.ResourceNames);
                }

                resourceRules.Add(entry);
            }

            if (rule.NonResourceUrls.Count > 0)
            {
                nonResourceRules.Add(new JsonObject { ["verbs"] = Array(rule.Verbs), ["nonResourceURLs"] = Array(rule.NonResourceUrls) });
            }

            return true;
        });

        var status = new JsonObject
        {
            ["resourceRules"] = resourceRules,
            ["nonResourceRules"] = nonResourceRules,
            ["incomplete"] = errors.Count > 0,
        };
        if (errors.Count > 0)
        {
            status["evaluationError"] = GoFormat.Aggregate(errors);
        }

        return status;
    }

    /// <summary>
    /// The bootstrap policy a fresh cluster has and the emulator should seed: <c>cluster-admin</c> (bound to
    /// <c>system:masters</c>), <c>system:basic-user</c>, <c>system:discovery</c> and <c>system:public-info-viewer</c>.
    /// </summary>
    public static (IReadOnlyList<JsonObject> ClusterRoles, IReadOnlyList<JsonObject> ClusterRoleBindings) BootstrapPolicy()
    {
        static JsonObject Role(string name, string rules) => new()
        {
            ["apiVersion"] = RbacGroup + "/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" }, ["annotations"] = new JsonObject { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" } },
            ["rules"] = JsonNode.Parse(rules),
        };

        static JsonObject Binding(string name, params string[] groups) => new()
        {
            ["apiVersion"] = RbacGroup + "/v1",
            ["kind"] = "ClusterRoleBinding",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" }, ["annotations"] = new JsonObject { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" } },
            ["roleRef"] = new JsonObject { ["apiGroup"] = RbacGroup, ["kind"] = "ClusterRole", ["name"] = name },
            ["subjects"] = new JsonArray(groups.Select(g => (JsonNode?)new JsonObject { ["apiGroup"] = RbacGroup, ["kind"] = "Group", ["name"] = g }).ToArray()),
        };

        var roles = new List<JsonObject>
        {
            Role("cluster-admin", """[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]},{"nonResourceURLs":["*"],"verbs":["*"]}]"""),
            Role("system:basic-user", """[{"apiGroups":["authorization.k8s.io"],"resources":["selfsubjectaccessreviews","selfsubjectrulesreviews"],"verbs":["create"]},{"apiGroups":["authentication.k8s.io"],"resources":["selfsubjectreviews"],"verbs":["create"]}]"""),
            Role("system:discovery", """[{"nonResourceURLs":["/api","/api/*","/apis","/apis/*","/healthz","/livez","/openapi","/openapi/*","/readyz","/version","/version/"],"verbs":["get"]}]"""),
            Role("system:public-info-viewer", """[{"nonResourceURLs":["/healthz","/livez","/readyz","/version","/version/"],"verbs":["get"]}]"""),
        };
        var bindings = new List<JsonObject>
        {
            Binding("cluster-admin", UserInfo.MastersGroup),
            Binding("system:basic-user", UserInfo.AuthenticatedGroup),
            Binding("system:discovery", UserInfo.AuthenticatedGroup),
            Binding("system:public-info-viewer", UserInfo.AuthenticatedGroup, "system:unauthenticated"),
        };
        return (roles, bindings);
    }

    private (bool Allowed, string Reason) Authorize(UserInfo user, string @namespace, Func<Rule, bool> allows)
    {
        if (user.Groups.Contains(UserInfo.MastersGroup, StringComparer.Ordinal))
        {
            return (true, "");
        }

        string? reason = null;
        var errors = VisitRules(user, @namespace, (source, rule) =>
        {
            if (allows(rule))
            {
                reason = "RBAC: allowed by " + source;
                return false;
            }

            return true;
        });

        if (reason is not null)
        {
            return (true, reason);
        }

        return (false, errors.Count > 0 ? "RBAC: " + GoFormat.Aggregate(errors) : "");
    }

    /// <summary>Visits the rules that apply to the user, in the authorizer's order; the visitor returns false to stop. Returns resolution errors.</summary>
    private List<string> VisitRules(UserInfo user, string @namespace, Func<string, Rule, bool> visitor)
    {
        var errors = new List<string>();
        foreach (var binding in _clusterRoleBindings)
        {
            var subject = AppliesTo(user, binding, "");
            if (subject is null)
            {
                continue;
            }

            var roleRef = binding["roleRef"];
            var roleName = Text(roleRef?["name"]);
            if (Text(roleRef?["kind"]) != "ClusterRole")
            {
                continue;
            }

            var rules = ClusterRoleRules(roleName);
            if (rules is null)
            {
                errors.Add($"clusterroles.rbac.authorization.k8s.io {GoFormat.Quote(roleName)} not found");
                continue;
            }

            var source = $"ClusterRoleBinding {GoFormat.Quote(Text(binding["metadata"]?["name"]))} of ClusterRole {GoFormat.Quote(roleName)} to {DescribeSubject(subject, "")}";
            foreach (var rule in rules)
            {
                if (!visitor(source, rule))
                {
                    return errors;
                }
            }
        }

        if (@namespace.Length == 0)
        {
            return errors;
        }

        foreach (var binding in _roleBindings.Where(b => Text(b["metadata"]?["namespace"]) == @namespace))
        {
            var subject = AppliesTo(user, binding, @namespace);
            if (subject is null)
            {
                continue;
            }

            var roleRef = binding["roleRef"];
            var roleKind = Text(roleRef?["kind"]);
            var roleName = Text(roleRef?["name"]);
            List<Rule>? rules;
            if (roleKind == "ClusterRole")
            {
                rules = ClusterRoleRules(roleName);
                if (rules is null)
                {
                    errors.Add($"clusterroles.rbac.authorization.k8s.io {GoFormat.Quote(roleName)} not found");
                    continue;
                }
            }
            else if (roleKind == "Role")
            {
                rules = _roles.TryGetValue((@namespace, roleName), out var role) ? Rules(role) : null;
                if (rules is null)
                {
                    errors.Add($"roles.rbac.authorization.k8s.io {GoFormat.Quote(roleName)} not found");
                    continue;
                }
            }
            else
            {
                continue;
            }

            var bindingName = Text(binding["metadata"]?["name"]) + "/" + @namespace;
            var source = $"RoleBinding {GoFormat.Quote(bindingName)} of {roleKind} {GoFormat.Quote(roleName)} to {DescribeSubject(subject, @namespace)}";
            foreach (var rule in rules)
            {
                if (!visitor(source, rule))
                {
                    return errors;
                }
            }
        }

        return errors;
    }

    private List<Rule>? ClusterRoleRules(string name)
    {
        if (!_clusterRoles.TryGetValue(name, out var clusterRole))
        {
            return null;
        }

        if (clusterRole["aggregationRule"]?["clusterRoleSelectors"] is not JsonArray selectors)
        {
            return Rules(clusterRole);
        }

        // The aggregation controller writes the union of the selected roles' rules into the aggregated role.
        var parsed = selectors.OfType<JsonObject>().Select(LabelSelector.FromLabelSelectorObject).ToList();
        var rules = Rules(clusterRole);
        foreach (var other in _clusterRoles.Values.Where(r => !ReferenceEquals(r, clusterRole)).OrderBy(r => Text(r["metadata"]?["name"]), StringComparer.Ordinal))
        {
            var labels = LabelSelector.LabelsOf(other);
            if (parsed.Any(s => s.Matches(labels)))
            {
                foreach (var rule in Rules(other))
                {
                    if (!rules.Contains(rule))
                    {
                        rules.Add(rule);
                    }
                }
            }
        }

        return rules;
    }

    private static JsonObject? AppliesTo(UserInfo user, JsonObject binding, string bindingNamespace)
    {
        foreach (var subject in (binding["subjects"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var kind = Text(subject["kind"]);
            var name = Text(subject["name"]);
            var applies = kind switch
            {
                "User" => user.Name == name,
                "Group" => user.Groups.Contains(name, StringComparer.Ordinal),
                "ServiceAccount" => ServiceAccountMatches(user, Text(subject["namespace"]) is { Length: > 0 } ns ? ns : bindingNamespace, name),
                _ => false,
            };
            if (applies)
            {
                return subject;
            }
        }

        return null;
    }

    private static bool ServiceAccountMatches(UserInfo user, string @namespace, string name)
        => @namespace.Length > 0 && user.Name == $"system:serviceaccount:{@namespace}:{name}";

    private static string DescribeSubject(JsonObject subject, string bindingNamespace)
    {
        var kind = Text(subject["kind"]);
        var name = Text(subject["name"]);
        if (kind == "ServiceAccount")
        {
            var ns = Text(subject["namespace"]);
            return $"{kind} {GoFormat.Quote(name + "/" + (ns.Length > 0 ? ns : bindingNamespace))}";
        }

        return $"{kind} {GoFormat.Quote(name)}";
    }

    private static bool ResourceRuleAllows(Rule rule, ResourceAttributes attributes)
    {
        var combined = string.IsNullOrEmpty(attributes.Subresource) ? attributes.Resource : attributes.Resource + "/" + attributes.Subresource;
        return Matches(rule.Verbs, attributes.Verb)
            && Matches(rule.ApiGroups, attributes.Group)
            && ResourceMatches(rule.Resources, combined, attributes.Subresource)
            && (rule.ResourceNames.Count == 0 || rule.ResourceNames.Contains(attributes.Name ?? "", StringComparer.Ordinal));
    }

    private static bool NonResourceRuleAllows(Rule rule, NonResourceAttributes attributes)
        => Matches(rule.Verbs, attributes.Verb)
            && rule.NonResourceUrls.Any(url => url == "*" || url == attributes.Path || (url.EndsWith('*') && attributes.Path.StartsWith(url.TrimEnd('*'), StringComparison.Ordinal)));

    private static bool Matches(IReadOnlyList<string> allowed, string requested)
        => allowed.Any(a => a == "*" || a == requested);

    private static bool ResourceMatches(IReadOnlyList<string> resources, string combined, string? subresource)
    {
        foreach (var resource in resources)
        {
            if (resource == "*" || resource == combined)
            {
                return true;
            }

            if (!string.IsNullOrEmpty(subresource) && resource.Length == subresource.Length + 2
                && resource.StartsWith("*/", StringComparison.Ordinal) && resource.EndsWith(subresource, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static List<Rule> Rules(JsonObject role)
        => (role["rules"] as JsonArray ?? []).OfType<JsonObject>().Select(Rule.From).ToList();

    private static JsonArray Array(IReadOnlyList<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private static string Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : "";

    private sealed record Rule(IReadOnlyList<string> Verbs, IReadOnlyList<string> ApiGroups, IReadOnlyList<string> Resources, IReadOnlyList<string> ResourceNames, IReadOnlyList<string> NonResourceUrls)
    {
        public static Rule From(JsonObject rule) => new(List(rule, "verbs"), List(rule, "apiGroups"), List(rule, "resources"), List(rule, "resourceNames"), List(rule, "nonResourceURLs"));

        public bool Equals(Rule? other) => other is not null
            && Verbs.SequenceEqual(other.Verbs) && ApiGroups.SequenceEqual(other.ApiGroups) && Resources.SequenceEqual(other.Resources)
            && ResourceNames.SequenceEqual(other.ResourceNames) && NonResourceUrls.SequenceEqual(other.NonResourceUrls);

        public override int GetHashCode() => HashCode.Combine(Verbs.Count, ApiGroups.Count, Resources.Count);

        private static List<string> List(JsonObject rule, string name) => (rule[name] as JsonArray ?? []).Select(Text).ToList();
    }
}
