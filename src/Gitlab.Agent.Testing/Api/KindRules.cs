using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gitlab.Agent.Testing.Registry;
using Gitlab.Agent.Testing.Server;

namespace Gitlab.Agent.Testing.Api;

/// <summary>Per-kind defaulting, initial status and validation, modelled on the kube-apiserver strategies.</summary>
internal static partial class KindRules
{
    private const string Dns1123LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string Dns1123SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    private static int _nextServiceIp = 10;

    /// <summary>Fills defaults the way the apiserver's defaulting functions do (idempotent).</summary>
    public static void ApplyDefaults(ResourceType type, JsonObject obj)
    {
        var spec = obj["spec"] as JsonObject;
        switch (type.GroupKind)
        {
            case "/Namespace":
            {
                var name = Name(obj);
                var labels = Ensure(Meta(obj), "labels");
                labels["kubernetes.io/metadata.name"] = name;
                break;
            }

            case "/Secret":
                if (obj["stringData"] is JsonObject stringData)
                {
                    var data = Ensure(obj, "data");
                    foreach (var (k, v) in stringData)
                    {
                        data[k] = Convert.ToBase64String(Encoding.UTF8.GetBytes(v?.GetValue<string>() ?? string.Empty));
                    }

                    obj.Remove("stringData");
                }

                obj.TryAdd("type", "Opaque");
                break;
            case "/Pod":
                if (spec is not null)
                {
                    DefaultPodSpec(spec, isTemplate: false, jobTemplate: false);
                }

                break;
            case "/Service":
                if (spec is not null)
                {
                    spec.TryAdd("type", "ClusterIP");
                    spec.TryAdd("sessionAffinity", "None");
                    if (spec["ports"] is JsonArray ports)
                    {
                        foreach (var p in ports.OfType<JsonObject>())
                        {
                            p.TryAdd("protocol", "TCP");
                            if (p["targetPort"] is null && p["port"] is not null)
                            {
                                p["targetPort"] = p["port"]!.DeepClone();
                            }
                        }
                    }

                    if (spec["type"]?.GetValue<string>() != "ExternalName")
                    {
                        if (spec["clusterIP"] is null)
                        {
                            var n = Interlocked.Increment(ref _nextServiceIp);
                            spec["clusterIP"] = $"10.96.{n / 250}.{(n % 250) + 1}";
                        }

                        spec.TryAdd("clusterIPs", new JsonArray(spec["clusterIP"]!.DeepClone()));
                        spec.TryAdd("ipFamilies", new JsonArray("IPv4"));
                        spec.TryAdd("ipFamilyPolicy", "SingleStack");
                        spec.TryAdd("internalTrafficPolicy", "Cluster");
                    }
                }

                break;
            case "apps/Deployment":
                if (spec is not null)
                {
                    spec.TryAdd("replicas", 1);
                    spec.TryAdd("revisionHistoryLimit", 10);
                    spec.TryAdd("progressDeadlineSeconds", 600);
                    var strategy = Ensure(spec, "strategy");
                    strategy.TryAdd("type", "RollingUpdate");
                    if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
                    {
                        var ru = Ensure(strategy, "rollingUpdate");
                        ru.TryAdd("maxUnavailable", "25%");
                        ru.TryAdd("maxSurge", "25%");
                    }

                    DefaultTemplate(spec, jobTemplate: false);
                }

                break;
            case "apps/ReplicaSet":
                if (spec is not null)
                {
                    spec.TryAdd("replicas", 1);
                    DefaultTemplate(spec, jobTemplate: false);
                }

                break;
            case "apps/StatefulSet":
                if (spec is not null)
                {
                    spec.TryAdd("replicas", 1);
                    spec.TryAdd("podManagementPolicy", "OrderedReady");
                    spec.TryAdd("revisionHistoryLimit", 10);
                    var us = Ensure(spec, "updateStrategy");
                    us.TryAdd("type", "RollingUpdate");
                    if (us["type"]?.GetValue<string>() == "RollingUpdate")
                    {
                        Ensure(us, "rollingUpdate").TryAdd("partition", 0);
                    }

                    var retention = Ensure(spec, "persistentVolumeClaimRetentionPolicy");
                    retention.TryAdd("whenDeleted", "Retain");
                    retention.TryAdd("whenScaled", "Retain");
                    DefaultTemplate(spec, jobTemplate: false);
                }

                break;
            case "apps/DaemonSet":
                if (spec is not null)
                {
                    spec.TryAdd("revisionHistoryLimit", 10);
                    var us = Ensure(spec, "updateStrategy");
                    us.TryAdd("type", "RollingUpdate");
                    if (us["type"]?.GetValue<string>() == "RollingUpdate")
                    {
                        var ru = Ensure(us, "rollingUpdate");
                        ru.TryAdd("maxUnavailable", 1);
                        ru.TryAdd("maxSurge", 0);
                    }

                    DefaultTemplate(spec, jobTemplate: false);
                }

                break;
            case "batch/Job":
                if (spec is not null)
                {
                    DefaultJobSpec(spec, Meta(obj));
                }

                break;
            case "batch/CronJob":
                if (spec is not null)
                {
                    spec.TryAdd("concurrencyPolicy", "Allow");
                    spec.TryAdd("suspend", false);
                    spec.TryAdd("successfulJobsHistoryLimit", 3);
                    spec.TryAdd("failedJobsHistoryLimit", 1);
                    if (spec["jobTemplate"]?["spec"] is JsonObject jobSpec)
                    {
                        if (jobSpec["template"]?["spec"] is JsonObject podSpec)
                        {
                            DefaultPodSpec(podSpec, isTemplate: true, jobTemplate: true);
                        }
                    }
                }

                break;
            case "networking.k8s.io/NetworkPolicy":
                if (spec is not null)
                {
                    if (spec["policyTypes"] is null)
                    {
                        var types = new JsonArray("Ingress");
                        if (spec["egress"] is not null)
                        {
                            types.Add("Egress");
                        }

                        spec["policyTypes"] = types;
                    }

                    foreach (var dir in new[] { "ingress", "egress" })
                    {
                        if (spec[dir] is JsonArray rules)
                        {
                            foreach (var rule in rules.OfType<JsonObject>())
                            {
                                if (rule["ports"] is JsonArray ports)
                                {
                                    foreach (var p in ports.OfType<JsonObject>())
                                    {
                                        p.TryAdd("protocol", "TCP");
                                    }
                                }
                            }
                        }
                    }
                }

                break;
            case "apiextensions.k8s.io/CustomResourceDefinition":
                if (spec is not null)
                {
                    Ensure(spec, "conversion").TryAdd("strategy", "None");
                    if (spec["names"] is JsonObject names)
                    {
                        if (names["singular"] is null && names["kind"] is not null)
                        {
                            names["singular"] = names["kind"]!.GetValue<string>().ToLowerInvariant();
                        }

                        names.TryAdd("listKind", names["kind"]?.GetValue<string>() + "List");
                    }
                }

                break;
        }
    }

    /// <summary>The status a freshly created object starts with (the strategies' PrepareForCreate).</summary>
    public static void ResetStatusForCreate(ResourceType type, JsonObject obj)
    {
        switch (type.GroupKind)
        {
            case "/Namespace":
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                Ensure(obj, "spec")["finalizers"] = new JsonArray("kubernetes");
                break;
            case "/Pod":
                obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" };
                break;
            case "/Service":
            case "networking.k8s.io/Ingress":
                obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
                break;
            case "apiextensions.k8s.io/CustomResourceDefinition":
            {
                var storage = (obj["spec"]?["versions"] as JsonArray)?.OfType<JsonObject>()
                    .FirstOrDefault(v => v["storage"]?.GetValue<bool>() == true)?["name"]?.GetValue<string>();
                obj["status"] = new JsonObject
                {
                    ["acceptedNames"] = new JsonObject { ["kind"] = string.Empty, ["plural"] = string.Empty },
                    ["storedVersions"] = storage is null ? new JsonArray() : new JsonArray(storage),
                };
                break;
            }

            default:
                if (type.HasStatus)
                {
                    if (type.IsCustom)
                    {
                        obj.Remove("status");
                    }
                    else
                    {
                        obj["status"] = new JsonObject();
                    }
                }

                break;
        }
    }

    private static void DefaultJobSpec(JsonObject spec, JsonObject meta)
    {
        spec.TryAdd("parallelism", 1);
        if (spec["completions"] is null && JsonPath.AsLong(spec["parallelism"]) is 1)
        {
            spec["completions"] = 1;
        }

        spec.TryAdd("backoffLimit", 6);
        spec.TryAdd("completionMode", "NonIndexed");
        spec.TryAdd("suspend", false);
        spec.TryAdd("podReplacementPolicy", "TerminatingOrFailed");
        var uid = meta["uid"]?.GetValue<string>();
        var name = meta["name"]?.GetValue<string>();
        if (uid is not null && spec["manualSelector"]?.GetValue<bool>() != true)
        {
            spec.TryAdd("selector", new JsonObject { ["matchLabels"] = new JsonObject { ["batch.kubernetes.io/controller-uid"] = uid } });
            var template = Ensure(spec, "template");
            var labels = Ensure(Ensure(template, "metadata"), "labels");
            labels.TryAdd("batch.kubernetes.io/controller-uid", uid);
            labels.TryAdd("batch.kubernetes.io/job-name", name);
            labels.TryAdd("controller-uid", uid);
            labels.TryAdd("job-name", name);
        }

        if (spec["template"]?["spec"] is JsonObject podSpec)
        {
            DefaultPodSpec(podSpec, isTemplate: true, jobTemplate: true);
        }
    }

    private static void DefaultTemplate(JsonObject spec, bool jobTemplate)
    {
        if (spec["template"]?["spec"] is JsonObject podSpec)
        {
            DefaultPodSpec(podSpec, isTemplate: true, jobTemplate);
        }
    }

    private static void DefaultPodSpec(JsonObject spec, bool isTemplate, bool jobTemplate)
    {
        if (!jobTemplate)
        {
            spec.TryAdd("restartPolicy", "Always");
        }

        spec.TryAdd("terminationGracePeriodSeconds", 30);
        spec.TryAdd("dnsPolicy", "ClusterFirst");
        spec.TryAdd("securityContext", new JsonObject());
        spec.TryAdd("schedulerName", "default-scheduler");
        if (!isTemplate)
        {
            spec.TryAdd("serviceAccountName", "default");
            spec.TryAdd("serviceAccount", spec["serviceAccountName"]!.DeepClone());
            spec.TryAdd("enableServiceLinks", true);
            spec.TryAdd("preemptionPolicy", "PreemptLowerPriority");
            spec.TryAdd("priority", 0);
        }

        foreach (var listName in new[] { "initContainers", "containers" })
        {
            if (spec[listName] is not JsonArray containers)
            {
                continue;
            }

            foreach (var c in containers.OfType<JsonObject>())
            {
                c.TryAdd("terminationMessagePath", "/dev/termination-log");
                c.TryAdd("terminationMessagePolicy", "File");
                c.TryAdd("resources", new JsonObject());
                if (c["imagePullPolicy"] is null && c["image"] is JsonValue image && image.TryGetValue<string>(out var img))
                {
                    var lastSegment = img[(img.LastIndexOf('/') + 1)..];
                    var tagged = lastSegment.Contains(':', StringComparison.Ordinal) && !lastSegment.EndsWith(":latest", StringComparison.Ordinal);
                    c["imagePullPolicy"] = tagged || img.Contains('@', StringComparison.Ordinal) ? "IfNotPresent" : "Always";
                }

                if (c["ports"] is JsonArray ports)
                {
                    foreach (var p in ports.OfType<JsonObject>())
                    {
                        p.TryAdd("protocol", "TCP");
                    }
                }
            }
        }
    }

    /// <summary>Validates an object about to be stored; <paramref name="old"/> is the stored state for updates.</summary>
    public static List<FieldError> Validate(ResourceType type, JsonObject obj, JsonObject? old)
    {
        var errors = new List<FieldError>();
        var name = Name(obj);
        if (type.GroupKind == "/Namespace" || (type.GroupKind == "/Service"))
        {
            if (!Dns1123Label().IsMatch(name) || name.Length > 63)
            {
                errors.Add(FieldError.InvalidValue("metadata.name", Quote(name), Dns1123LabelMessage));
            }
        }
        else if (type.Group == "rbac.authorization.k8s.io")
        {
            if (name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('%', StringComparison.Ordinal))
            {
                errors.Add(FieldError.InvalidValue("metadata.name", Quote(name), "may not contain '/' or '%' and may not be '.' or '..'"));
            }
        }
        else if (!Dns1123Subdomain().IsMatch(name) || name.Length > 253)
        {
            errors.Add(FieldError.InvalidValue("metadata.name", Quote(name), Dns1123SubdomainMessage));
        }

        ValidateLabels(Meta(obj)["labels"] as JsonObject, "metadata.labels", errors);
        var spec = obj["spec"] as JsonObject;
        switch (type.GroupKind)
        {
            case "apps/Deployment":
            case "apps/ReplicaSet":
            case "apps/StatefulSet":
            case "apps/DaemonSet":
                ValidateWorkload(spec, old?["spec"] as JsonObject, errors);
                break;
            case "batch/Job":
                ValidatePodSpec(spec?["template"]?["spec"] as JsonObject, "spec.template.spec", errors);
                var rp = spec?["template"]?["spec"]?["restartPolicy"]?.GetValue<string>();
                if (rp is null)
                {
                    errors.Add(FieldError.Required("spec.template.spec.restartPolicy", "valid values: \"OnFailure\", \"Never\""));
                }
                else if (rp is not ("OnFailure" or "Never"))
                {
                    errors.Add(FieldError.NotSupported("spec.template.spec.restartPolicy", Quote(rp), ["OnFailure", "Never"]));
                }

                break;
            case "/Pod":
                ValidatePodSpec(spec, "spec", errors);
                break;
            case "/Service":
                if (spec?["type"]?.GetValue<string>() != "ExternalName" && spec?["clusterIP"]?.GetValue<string>() != "None"
                    && (spec?["ports"] is not JsonArray ports || ports.Count == 0))
                {
                    errors.Add(FieldError.Required("spec.ports"));
                }

                break;
            case "apiextensions.k8s.io/CustomResourceDefinition":
                ValidateCrd(obj, old, errors);
                break;
        }

        return errors;
    }

    private static void ValidateWorkload(JsonObject? spec, JsonObject? oldSpec, List<FieldError> errors)
    {
        var selector = spec?["selector"] as JsonObject;
        if (selector is null)
        {
            errors.Add(FieldError.Required("spec.selector"));
        }
        else if (selector.Count == 0 || (selector["matchLabels"] is null && selector["matchExpressions"] is null))
        {
            errors.Add(FieldError.InvalidValue("spec.selector", "v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}", "empty selector is invalid for deployment"));
        }
        else
        {
            var labels = spec?["template"]?["metadata"]?["labels"] as JsonObject;
            var labelMap = labels?.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? string.Empty) ?? new Dictionary<string, string>();
            var matcher = SemanticsBridge.LabelSelectorFromObject(selector);
            if (matcher is not null && !matcher(labelMap))
            {
                errors.Add(FieldError.InvalidValue("spec.template.metadata.labels", GoMap(labelMap), "`selector` does not match template `labels`"));
            }

            if (oldSpec?["selector"] is JsonNode oldSelector && !JsonNode.DeepEquals(oldSelector, selector))
            {
                errors.Add(FieldError.InvalidValue("spec.selector", GoSelector(selector), "field is immutable"));
            }
        }

        ValidatePodSpec(spec?["template"]?["spec"] as JsonObject, "spec.template.spec", errors);
    }

    private static void ValidatePodSpec(JsonObject? podSpec, string path, List<FieldError> errors)
    {
        if (podSpec?["containers"] is not JsonArray containers || containers.Count == 0)
        {
            errors.Add(FieldError.Required(path + ".containers"));
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < containers.Count; i++)
        {
            var c = containers[i] as JsonObject;
            var cname = c?["name"]?.GetValue<string>();
            if (string.IsNullOrEmpty(cname))
            {
                errors.Add(FieldError.Required($"{path}.containers[{i}].name"));
            }
            else if (!names.Add(cname))
            {
                errors.Add(new FieldError("FieldValueDuplicate", $"{path}.containers[{i}].name", string.Empty, Quote(cname)));
            }

            if (string.IsNullOrEmpty(c?["image"]?.GetValue<string>()))
            {
                errors.Add(FieldError.Required($"{path}.containers[{i}].image"));
            }
        }
    }

    private static void ValidateCrd(JsonObject obj, JsonObject? old, List<FieldError> errors)
    {
        var spec = obj["spec"] as JsonObject;
        var group = spec?["group"]?.GetValue<string>() ?? string.Empty;
        var plural = spec?["names"]?["plural"]?.GetValue<string>() ?? string.Empty;
        var name = Name(obj);
        if (name != plural + "." + group)
        {
            errors.Add(FieldError.InvalidValue("metadata.name", Quote(name), "must be spec.names.plural+\".\"+spec.group"));
        }

        if (group.Length == 0)
        {
            errors.Add(FieldError.Required("spec.group"));
        }

        if (string.IsNullOrEmpty(spec?["names"]?["kind"]?.GetValue<string>()))
        {
            errors.Add(FieldError.Required("spec.names.kind"));
        }

        var scope = spec?["scope"]?.GetValue<string>();
        if (scope is not ("Namespaced" or "Cluster"))
        {
            errors.Add(scope is null ? FieldError.Required("spec.scope") : FieldError.NotSupported("spec.scope", Quote(scope), ["Cluster", "Namespaced"]));
        }

        if (spec?["versions"] is not JsonArray versions || versions.Count == 0)
        {
            errors.Add(FieldError.Required("spec.versions", "must have exactly one version marked as storage version"));
        }
        else if (versions.OfType<JsonObject>().Count(v => v["storage"]?.GetValue<bool>() == true) != 1)
        {
            errors.Add(FieldError.InvalidValue("spec.versions", "[]apiextensions.CustomResourceDefinitionVersion{...}", "must have exactly one version marked as storage version"));
        }

        if (old is not null && old["spec"]?["scope"]?.GetValue<string>() is string oldScope && oldScope != scope)
        {
            errors.Add(FieldError.InvalidValue("spec.scope", Quote(scope ?? string.Empty), "field is immutable"));
        }
    }

    private static void ValidateLabels(JsonObject? labels, string path, List<FieldError> errors)
    {
        if (labels is null)
        {
            return;
        }

        foreach (var (k, v) in labels)
        {
            var value = v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : null;
            if (value is null)
            {
                continue;
            }

            if (value.Length > 63 || (value.Length > 0 && !LabelValue().IsMatch(value)))
            {
                errors.Add(FieldError.InvalidValue(path, Quote(value), "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"));
            }

            _ = k;
        }
    }

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    private static string Quote(string s) => "\"" + s.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string GoMap(IReadOnlyDictionary<string, string> map) =>
        "map[string]string{" + string.Join(", ", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{Quote(p.Key)}:{Quote(p.Value)}")) + "}";

    private static string GoSelector(JsonObject selector)
    {
        var ml = (selector["matchLabels"] as JsonObject)?.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? string.Empty);
        return "v1.LabelSelector{MatchLabels:" + (ml is null ? "map[string]string(nil)" : GoMap(ml)) + ", MatchExpressions:[]v1.LabelSelectorRequirement(nil)}";
    }

    public static JsonObject Meta(JsonObject obj)
    {
        if (obj["metadata"] is not JsonObject meta)
        {
            meta = new JsonObject();
            obj["metadata"] = meta;
        }

        return meta;
    }

    public static string Name(JsonObject obj) => obj["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;

    public static JsonObject Ensure(JsonObject parent, string key)
    {
        if (parent[key] is not JsonObject child)
        {
            child = new JsonObject();
            parent[key] = child;
        }

        return child;
    }
}
