using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Registry;

namespace Gitlab.Agent.Testing.Api;

/// <summary>Server-side printing (<c>meta.k8s.io/v1 Table</c>) with the columns of the kube-apiserver's printers.</summary>
internal sealed class TablePrinter
{
    private readonly TimeProvider _time;

    public TablePrinter(TimeProvider time) => _time = time;

    private sealed record Column(string Name, string Type, string Format, int Priority, string Description, Func<JsonObject, JsonNode?> Cell);

    /// <summary>Builds a Table of <paramref name="objects"/>.</summary>
    public JsonObject ToTable(ResourceType type, IEnumerable<JsonObject> objects, string includeObject, string resourceVersion, bool withHeaders, string? continueToken = null, string apiVersion = "meta.k8s.io/v1")
    {
        var columns = Columns(type);
        var table = new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = apiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
        };
        if (continueToken is not null)
        {
            table["metadata"]!["continue"] = continueToken;
        }

        if (withHeaders)
        {
            var defs = new JsonArray();
            foreach (var c in columns)
            {
                defs.Add(new JsonObject { ["name"] = c.Name, ["type"] = c.Type, ["format"] = c.Format, ["description"] = c.Description, ["priority"] = c.Priority });
            }

            table["columnDefinitions"] = defs;
        }
        else
        {
            table["columnDefinitions"] = null;
        }

        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var cells = new JsonArray();
            foreach (var c in columns)
            {
                cells.Add(c.Cell(obj));
            }

            var row = new JsonObject { ["cells"] = cells };
            switch (includeObject)
            {
                case "Object":
                    row["object"] = obj.DeepClone();
                    break;
                case "None":
                    break;
                default:
                    row["object"] = new JsonObject
                    {
                        ["kind"] = "PartialObjectMetadata",
                        ["apiVersion"] = "meta.k8s.io/v1",
                        ["metadata"] = obj["metadata"]?.DeepClone(),
                    };
                    break;
            }

            rows.Add(row);
        }

        table["rows"] = rows;
        return table;
    }

    private IReadOnlyList<Column> Columns(ResourceType type)
    {
        var name = new Column("Name", "string", "name", 0, "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names", o => Str(o, "metadata.name"));
        var age = new Column("Age", "string", string.Empty, 0, "CreationTimestamp is a timestamp representing the server time when this object was created.", o => Age(o));
        switch (type.GroupKind)
        {
            case "/Pod":
                return
                [
                    name,
                    new("Ready", "string", string.Empty, 0, "The aggregate readiness state of this pod for accepting traffic.", o => PodReady(o)),
                    new("Status", "string", string.Empty, 0, "The aggregate status of the containers in this pod.", o => PodStatus(o)),
                    new("Restarts", "string", string.Empty, 0, "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", o => PodRestarts(o)),
                    age,
                    new("IP", "string", string.Empty, 1, "The IP address assigned to the pod.", o => Str(o, "status.podIP") ?? "<none>"),
                    new("Node", "string", string.Empty, 1, "The name of the node where the pod is scheduled.", o => Str(o, "spec.nodeName") ?? "<none>"),
                    new("Nominated Node", "string", string.Empty, 1, "The name of the node that the pod is nominated for.", o => Str(o, "status.nominatedNodeName") ?? "<none>"),
                    new("Readiness Gates", "string", string.Empty, 1, "The readiness gates of the pod.", _ => "<none>"),
                ];
            case "apps/Deployment":
                return
                [
                    name,
                    new("Ready", "string", string.Empty, 0, "Number of the pod with ready state", o => $"{Int(o, "status.readyReplicas")}/{Int(o, "spec.replicas")}"),
                    new("Up-to-date", "integer", string.Empty, 0, "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", o => Int(o, "status.updatedReplicas")),
                    new("Available", "integer", string.Empty, 0, "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", o => Int(o, "status.availableReplicas")),
                    age,
                    new("Containers", "string", string.Empty, 1, "Names of each container in the template.", o => Containers(o, "spec.template.spec.containers", "name")),
                    new("Images", "string", string.Empty, 1, "Images referenced by each container in the template.", o => Containers(o, "spec.template.spec.containers", "image")),
                    new("Selector", "string", string.Empty, 1, "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.", o => Selector(o["spec"]?["selector"])),
                ];
            case "apps/ReplicaSet":
                return
                [
                    name,
                    new("Desired", "integer", string.Empty, 0, "Number of desired pods.", o => Int(o, "spec.replicas")),
                    new("Current", "integer", string.Empty, 0, "Number of actual replicas.", o => Int(o, "status.replicas")),
                    new("Ready", "integer", string.Empty, 0, "The number of ready replicas for this replica set.", o => Int(o, "status.readyReplicas")),
                    age,
                    new("Containers", "string", string.Empty, 1, "Names of each container in the template.", o => Containers(o, "spec.template.spec.containers", "name")),
                    new("Images", "string", string.Empty, 1, "Images referenced by each container in the template.", o => Containers(o, "spec.template.spec.containers", "image")),
                    new("Selector", "string", string.Empty, 1, "Label selector for pods.", o => Selector(o["spec"]?["selector"])),
                ];
            case "apps/StatefulSet":
                return
                [
                    name,
                    new("Ready", "string", string.Empty, 0, "Number of the pod with ready state", o => $"{Int(o, "status.readyReplicas")}/{Int(o, "spec.replicas")}"),
                    age,
                    new("Containers", "string", string.Empty, 1, "Names of each container in the template.", o => Containers(o, "spec.template.spec.containers", "name")),
                    new("Images", "string", string.Empty, 1, "Images referenced by each container in the template.", o => Containers(o, "spec.template.spec.containers", "image")),
                ];
            case "apps/DaemonSet":
                return
                [
                    name,
                    new("Desired", "integer", string.Empty, 0, "The total number of nodes that should be running the daemon pod.", o => Int(o, "status.desiredNumberScheduled")),
                    new("Current", "integer", string.Empty, 0, "The number of nodes that are running at least 1 daemon pod.", o => Int(o, "status.currentNumberScheduled")),
                    new("Ready", "integer", string.Empty, 0, "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.", o => Int(o, "status.numberReady")),
                    new("Up-to-date", "integer", string.Empty, 0, "The total number of nodes that are running updated daemon pod", o => Int(o, "status.updatedNumberScheduled")),
                    new("Available", "integer", string.Empty, 0, "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.", o => Int(o, "status.numberAvailable")),
                    new("Node Selector", "string", string.Empty, 0, "NodeSelector is a selector which must be true for the pod to fit on a node.", o => o["spec"]?["template"]?["spec"]?["nodeSelector"] is JsonObject ns ? string.Join(",", ns.Select(p => $"{p.Key}={p.Value}")) : "<none>"),
                    age,
                ];
            case "batch/Job":
                return
                [
                    name,
                    new("Status", "string", string.Empty, 0, "Status of the job.", o => JobStatus(o)),
                    new("Completions", "string", string.Empty, 0, "The completion status of the job.", o => $"{Int(o, "status.succeeded")}/{Int(o, "spec.completions", 1)}"),
                    new("Duration", "string", string.Empty, 0, "Time required to complete the job.", o => JobDuration(o)),
                    age,
                ];
            case "batch/CronJob":
                return
                [
                    name,
                    new("Schedule", "string", string.Empty, 0, "The schedule in Cron format.", o => Str(o, "spec.schedule")),
                    new("Timezone", "string", string.Empty, 0, "The time zone for the given schedule.", o => Str(o, "spec.timeZone") ?? "<none>"),
                    new("Suspend", "boolean", string.Empty, 0, "Whether the cron job is suspended.", o => JsonPath.Read(o, "spec.suspend")?.DeepClone() ?? false),
                    new("Active", "integer", string.Empty, 0, "Number of currently running jobs.", o => (o["status"]?["active"] as JsonArray)?.Count ?? 0),
                    new("Last Schedule", "string", string.Empty, 0, "When the last job was successfully scheduled.", o => Str(o, "status.lastScheduleTime") is string t ? Since(t) : "<none>"),
                    age,
                ];
            case "/Namespace":
                return [name, new("Status", "string", string.Empty, 0, "The status of the namespace", o => Str(o, "status.phase")), age];
            case "/ConfigMap":
                return [name, new("Data", "integer", string.Empty, 0, "Number of data entries in the ConfigMap.", o => ((o["data"] as JsonObject)?.Count ?? 0) + ((o["binaryData"] as JsonObject)?.Count ?? 0)), age];
            case "/Secret":
                return
                [
                    name,
                    new("Type", "string", string.Empty, 0, "The type of the secret.", o => Str(o, "type")),
                    new("Data", "integer", string.Empty, 0, "Number of data entries in the secret.", o => (o["data"] as JsonObject)?.Count ?? 0),
                    age,
                ];
            case "/ServiceAccount":
                return [name, new("Secrets", "integer", string.Empty, 0, "Number of secrets.", o => (o["secrets"] as JsonArray)?.Count ?? 0), age];
            case "/Service":
                return
                [
                    name,
                    new("Type", "string", string.Empty, 0, "The type of the service.", o => Str(o, "spec.type")),
                    new("Cluster-IP", "string", string.Empty, 0, "The cluster IP of the service.", o => Str(o, "spec.clusterIP") ?? "<none>"),
                    new("External-IP", "string", string.Empty, 0, "The external IP of the service.", o => o["spec"]?["externalIPs"] is JsonArray ips && ips.Count > 0 ? string.Join(",", ips) : "<none>"),
                    new("Port(s)", "string", string.Empty, 0, "The ports of the service.", o => ServicePorts(o)),
                    age,
                    new("Selector", "string", string.Empty, 1, "The selector of the service.", o => o["spec"]?["selector"] is JsonObject s ? string.Join(",", s.Select(p => $"{p.Key}={p.Value}")) : "<none>"),
                ];
            case "/Node":
                return
                [
                    name,
                    new("Status", "string", string.Empty, 0, "The status of the node", o => (o["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().Any(c => c["type"]?.ToString() == "Ready" && c["status"]?.ToString() == "True") == true ? "Ready" : "NotReady"),
                    new("Roles", "string", string.Empty, 0, "The roles of the node", _ => "<none>"),
                    age,
                    new("Version", "string", string.Empty, 0, "Kubelet Version reported by the node.", o => Str(o, "status.nodeInfo.kubeletVersion") ?? string.Empty),
                ];
            case "/Event":
                return
                [
                    new("Last Seen", "string", string.Empty, 0, "Time when last occurrence was observed.", o => Str(o, "lastTimestamp") is string t ? Since(t) : "<unknown>"),
                    new("Type", "string", string.Empty, 0, "The type of the event.", o => Str(o, "type")),
                    new("Reason", "string", string.Empty, 0, "The reason of the event.", o => Str(o, "reason")),
                    new("Object", "string", string.Empty, 0, "The object that the event is about.", o => $"{Str(o, "involvedObject.kind")?.ToLowerInvariant()}/{Str(o, "involvedObject.name")}"),
                    new("Message", "string", string.Empty, 0, "A human-readable description of the event.", o => Str(o, "message")),
                ];
            case "networking.k8s.io/Ingress":
                return
                [
                    name,
                    new("Class", "string", string.Empty, 0, "The name of the IngressClass.", o => Str(o, "spec.ingressClassName") ?? "<none>"),
                    new("Hosts", "string", string.Empty, 0, "Hosts that incoming requests are matched against.", o => o["spec"]?["rules"] is JsonArray r && r.Count > 0 ? string.Join(",", r.Select(x => x?["host"]?.ToString() ?? "*")) : "*"),
                    new("Address", "string", string.Empty, 0, "Address is a list containing ingress points for the load-balancer", _ => string.Empty),
                    new("Ports", "string", string.Empty, 0, "Ports of TLS configurations that open", o => o["spec"]?["tls"] is JsonArray { Count: > 0 } ? "80, 443" : "80"),
                    age,
                ];
            case "networking.k8s.io/NetworkPolicy":
                return [name, new("Pod-Selector", "string", string.Empty, 0, "Pod selector of the policy.", o => Selector(o["spec"]?["podSelector"]) is string s && s != "<none>" ? s : "<none>"), age];
            case "rbac.authorization.k8s.io/Role":
            case "rbac.authorization.k8s.io/ClusterRole":
                return [name, new("Created At", "string", string.Empty, 0, "Creation time of the role.", o => Str(o, "metadata.creationTimestamp"))];
            case "rbac.authorization.k8s.io/RoleBinding":
            case "rbac.authorization.k8s.io/ClusterRoleBinding":
                return
                [
                    name,
                    new("Role", "string", string.Empty, 0, "Role of the binding.", o => $"{Str(o, "roleRef.kind")}/{Str(o, "roleRef.name")}"),
                    age,
                    new("Users", "string", string.Empty, 1, "Users in the binding.", o => Subjects(o, "User")),
                    new("Groups", "string", string.Empty, 1, "Groups in the binding.", o => Subjects(o, "Group")),
                    new("ServiceAccounts", "string", string.Empty, 1, "ServiceAccounts in the binding.", o => Subjects(o, "ServiceAccount")),
                ];
            case "coordination.k8s.io/Lease":
                return [name, new("Holder", "string", string.Empty, 0, "The holder of the lease.", o => Str(o, "spec.holderIdentity") ?? string.Empty), age];
            case "apiextensions.k8s.io/CustomResourceDefinition":
                return [name, new("Created At", "date", string.Empty, 0, "Creation time.", o => Str(o, "metadata.creationTimestamp"))];
        }

        if (type.IsCustom && type.PrinterColumns.Count > 0)
        {
            var list = new List<Column> { name };
            foreach (var pc in type.PrinterColumns)
            {
                list.Add(new(pc.Name, pc.Type, pc.Format, pc.Priority, pc.Description, o =>
                {
                    IReadOnlyList<JsonNode?> results;
                    try
                    {
                        results = SimpleJsonPath.Evaluate(o, pc.JsonPath);
                    }
                    catch (FormatException)
                    {
                        return null;
                    }

                    var v = results.Count > 0 ? results[0] : null;
                    if (v is null)
                    {
                        return null;
                    }

                    if (pc.Type == "date" && v is JsonValue jv && jv.TryGetValue<string>(out var t))
                    {
                        return Since(t);
                    }

                    if (pc.Type == "string" && v is not JsonValue)
                    {
                        return v.ToJsonString();
                    }

                    return v.DeepClone();
                }));
            }

            if (!type.PrinterColumns.Any(p => p.JsonPath == ".metadata.creationTimestamp"))
            {
                list.Add(age);
            }

            return list;
        }

        return [name, new("Created At", "date", string.Empty, 0, "CreationTimestamp is a timestamp representing the server time when this object was created.", o => Str(o, "metadata.creationTimestamp"))];
    }

    private static string? Str(JsonObject o, string path) => JsonPath.ReadScalar(o, path);

    private static long Int(JsonObject o, string path, long fallback = 0) => JsonPath.ReadLong(o, path) ?? fallback;

    private string Age(JsonObject o) => Str(o, "metadata.creationTimestamp") is string t ? Since(t) : "<unknown>";

    private string Since(string timestamp)
    {
        if (!DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            return "<unknown>";
        }

        return HumanDuration(_time.GetUtcNow() - t);
    }

    /// <summary>k8s.io/apimachinery/pkg/util/duration.HumanDuration.</summary>
    public static string HumanDuration(TimeSpan d)
    {
        var seconds = (long)Math.Floor(d.TotalSeconds);
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < 60 * 2)
        {
            return $"{seconds}s";
        }

        var minutes = (long)d.TotalMinutes;
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? $"{minutes}m" : $"{minutes}m{s}s";
        }

        if (minutes < 60 * 3)
        {
            return $"{minutes}m";
        }

        var hours = (long)d.TotalHours;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? $"{hours}h" : $"{hours}h{m}m";
        }

        if (hours < 48)
        {
            return $"{hours}h";
        }

        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? $"{hours / 24}d" : $"{hours / 24}d{h}h";
        }

        if (hours < 24 * 365 * 2)
        {
            return $"{hours / 24}d";
        }

        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? $"{hours / 24 / 365}y" : $"{hours / 24 / 365}y{dy}d";
        }

        return $"{hours / 24 / 365}y";
    }

    private static string PodReady(JsonObject o)
    {
        var total = (o["spec"]?["containers"] as JsonArray)?.Count ?? 0;
        var ready = (o["status"]?["containerStatuses"] as JsonArray)?.Count(c => c?["ready"]?.GetValue<bool>() == true) ?? 0;
        return $"{ready}/{total}";
    }

    private static string PodStatus(JsonObject o)
    {
        if (o["metadata"]?["deletionTimestamp"] is not null)
        {
            return "Terminating";
        }

        if (Str(o, "status.reason") is string reason)
        {
            return reason;
        }

        if (o["status"]?["containerStatuses"] is JsonArray statuses)
        {
            foreach (var c in statuses.OfType<JsonObject>())
            {
                if (c["state"]?["waiting"]?["reason"]?.GetValue<string>() is string waiting)
                {
                    return waiting;
                }

                if (c["state"]?["terminated"]?["reason"]?.GetValue<string>() is string terminated)
                {
                    return terminated;
                }
            }
        }

        return Str(o, "status.phase") ?? "Pending";
    }

    private static string PodRestarts(JsonObject o) =>
        ((o["status"]?["containerStatuses"] as JsonArray)?.Sum(c => JsonPath.AsLong(c?["restartCount"]) ?? 0) ?? 0).ToString(CultureInfo.InvariantCulture);

    private static string JobStatus(JsonObject o)
    {
        var conditions = (o["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        bool Has(string type) => conditions.Any(c => c["type"]?.ToString() == type && c["status"]?.ToString() == "True");
        if (Has("Complete"))
        {
            return "Complete";
        }

        if (Has("Failed"))
        {
            return "Failed";
        }

        if (o["metadata"]?["deletionTimestamp"] is not null)
        {
            return "Terminating";
        }

        if (Has("Suspended"))
        {
            return "Suspended";
        }

        return "Running";
    }

    private string JobDuration(JsonObject o)
    {
        if (Str(o, "status.startTime") is not string start || !DateTimeOffset.TryParse(start, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var s))
        {
            return string.Empty;
        }

        var end = Str(o, "status.completionTime") is string c && DateTimeOffset.TryParse(c, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var e) ? e : _time.GetUtcNow();
        return HumanDuration(end - s);
    }

    private static string Containers(JsonObject o, string path, string field) =>
        JsonPath.Read(o, path) is JsonArray list ? string.Join(",", list.Select(c => c?[field]?.ToString())) : string.Empty;

    private static string Selector(JsonNode? selector)
    {
        if (selector is not JsonObject s || s.Count == 0)
        {
            return "<none>";
        }

        var parts = new List<string>();
        if (s["matchLabels"] is JsonObject ml)
        {
            parts.AddRange(ml.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
        }

        if (s["matchExpressions"] is JsonArray me)
        {
            foreach (var e in me.OfType<JsonObject>())
            {
                var key = e["key"]?.ToString();
                var values = e["values"] is JsonArray vs ? string.Join(",", vs.Select(v => v?.ToString())) : string.Empty;
                parts.Add(e["operator"]?.ToString() switch
                {
                    "In" => $"{key} in ({values})",
                    "NotIn" => $"{key} notin ({values})",
                    "Exists" => key!,
                    "DoesNotExist" => "!" + key,
                    var op => $"{key} {op} ({values})",
                });
            }
        }

        return parts.Count == 0 ? "<none>" : string.Join(",", parts);
    }

    private static string ServicePorts(JsonObject o)
    {
        if (o["spec"]?["ports"] is not JsonArray ports || ports.Count == 0)
        {
            return "<none>";
        }

        return string.Join(",", ports.OfType<JsonObject>().Select(p =>
        {
            var s = $"{p["port"]}/{p["protocol"] ?? "TCP"}";
            if (p["nodePort"] is JsonNode np)
            {
                s = $"{p["port"]}:{np}/{p["protocol"] ?? "TCP"}";
            }

            return s;
        }));
    }

    private static string Subjects(JsonObject o, string kind)
    {
        if (o["subjects"] is not JsonArray subjects)
        {
            return string.Empty;
        }

        return string.Join(", ", subjects.OfType<JsonObject>().Where(s => s["kind"]?.ToString() == kind)
            .Select(s => kind == "ServiceAccount" ? $"{s["namespace"]}/{s["name"]}" : s["name"]?.ToString()));
    }
}
