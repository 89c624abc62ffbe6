using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>
/// Merge semantics of the built-in kinds, taken from the Kubernetes API types (<c>+listType</c>,
/// <c>+listMapKey</c>, <c>+mapType</c>, <c>+structType</c>, <c>patchStrategy</c>, <c>patchMergeKey</c>).
/// Only fields with non-default semantics are declared; undeclared fields are granular structs
/// and atomic lists, which is what the real schema says for them.
/// </summary>
internal static class BuiltinSchemas
{
    private static readonly Lazy<Dictionary<string, (SchemaNode Root, string Skeleton)>> Kinds = new(Build);

    /// <summary>Schema root and the JSON of the kind's empty Go object (what a create is compared against).</summary>
    public static (SchemaNode Root, string Skeleton) For(string group, string kind)
        => Kinds.Value.TryGetValue(group + "/" + kind, out var entry) ? entry : (Root(), "{}");

    private static Dictionary<string, (SchemaNode, string)> Build()
    {
        var template = PodTemplateSpec();
        var labelSelector = LabelSelectorNode();
        var conditions = MapList(["type"], Struct(), merge: true);
        var workloadTemplate = "\"template\":{\"metadata\":{\"creationTimestamp\":null},\"spec\":{\"containers\":null}}";

        var kinds = new Dictionary<string, (SchemaNode, string)>(StringComparer.Ordinal)
        {
            ["/Pod"] = (Root(("spec", PodSpec()), ("status", Struct(("conditions", conditions), ("podIPs", MapList(["ip"], Struct(), merge: true)), ("hostIPs", MapList(["ip"], Struct(), merge: true))))),
                """{"metadata":{"creationTimestamp":null},"spec":{"containers":null},"status":{}}"""),
            ["/PodTemplate"] = (Root(("template", template)), """{"metadata":{"creationTimestamp":null},""" + workloadTemplate + "}"),
            ["/ConfigMap"] = (Root(("data", Map(SchemaNode.ScalarNode)), ("binaryData", Map(SchemaNode.ScalarNode))), """{"metadata":{"creationTimestamp":null}}"""),
            ["/Secret"] = (Root(("data", Map(SchemaNode.ScalarNode)), ("stringData", Map(SchemaNode.ScalarNode))), """{"metadata":{"creationTimestamp":null}}"""),
            ["/Namespace"] = (Root(("spec", Struct(("finalizers", AtomicList()))), ("status", Struct(("conditions", conditions)))),
                """{"metadata":{"creationTimestamp":null},"spec":{},"status":{}}"""),
            ["/ServiceAccount"] = (Root(("secrets", MapList(["name"], Struct(), merge: true, atomic: true)), ("imagePullSecrets", AtomicList())),
                """{"metadata":{"creationTimestamp":null}}"""),
            ["/Service"] = (Root(("spec", ServiceSpec()), ("status", Struct(("conditions", MapList(["type"], Struct(), merge: true)), ("loadBalancer", Struct(("ingress", AtomicList())))))),
                """{"metadata":{"creationTimestamp":null},"spec":{},"status":{"loadBalancer":{}}}"""),
            ["/Endpoints"] = (Root(("subsets", AtomicList())), """{"metadata":{"creationTimestamp":null}}"""),
            ["/Node"] = (Root(("spec", Struct(("taints", AtomicList()), ("podCIDRs", SetList(merge: true)))), ("status", Struct(("conditions", conditions), ("addresses", MapList(["type"], Struct(), merge: true))))),
                """{"metadata":{"creationTimestamp":null},"spec":{},"status":{"daemonEndpoints":{"kubeletEndpoint":{"Port":0}},"nodeInfo":{"machineID":"","systemUUID":"","bootID":"","kernelVersion":"","osImage":"","containerRuntimeVersion":"","kubeletVersion":"","kubeProxyVersion":"","operatingSystem":"","architecture":""}}}"""),
            ["/PersistentVolumeClaim"] = (Root(("spec", Struct(("accessModes", AtomicList()), ("selector", labelSelector))), ("status", Struct(("conditions", conditions)))),
                """{"metadata":{"creationTimestamp":null},"spec":{"resources":{}},"status":{}}"""),
            ["/Event"] = (Root(), """{"metadata":{"creationTimestamp":null},"involvedObject":{},"source":{},"firstTimestamp":null,"lastTimestamp":null,"eventTime":null,"reportingComponent":"","reportingInstance":""}"""),
            ["apps/Deployment"] = (Root(("spec", Struct(("selector", labelSelector), ("template", template), ("strategy", Struct()))), ("status", Struct(("conditions", conditions)))),
                """{"metadata":{"creationTimestamp":null},"spec":{"selector":null,""" + workloadTemplate + ""","strategy":{}},"status":{}}"""),
            ["apps/ReplicaSet"] = (Root(("spec", Struct(("selector", labelSelector), ("template", template))), ("status", Struct(("conditions", conditions)))),
                """{"metadata":{"creationTimestamp":null},"spec":{"selector":null,""" + workloadTemplate + """},"status":{"replicas":0}}"""),
            ["apps/StatefulSet"] = (Root(("spec", Struct(("selector", labelSelector), ("template", template), ("volumeClaimTemplates", AtomicList()))), ("status", Struct(("conditions", conditions)))),
                """{"metadata":{"creationTimestamp":null},"spec":{"selector":null,""" + workloadTemplate + ""","serviceName":"","updateStrategy":{}},"status":{"replicas":0,"availableReplicas":0}}"""),
            ["apps/DaemonSet"] = (Root(("spec", Struct(("selector", labelSelector), ("template", template))), ("status", Struct(("conditions", conditions)))),
                """{"metadata":{"creationTimestamp":null},"spec":{"selector":null,""" + workloadTemplate + ""","updateStrategy":{}},"status":{"currentNumberScheduled":0,"numberMisscheduled":0,"desiredNumberScheduled":0,"numberReady":0}}"""),
            ["apps/ControllerRevision"] = (Root(), """{"metadata":{"creationTimestamp":null},"data":null,"revision":0}"""),
            ["batch/Job"] = (Root(("spec", Struct(("selector", labelSelector), ("template", template))), ("status", Struct(("conditions", MapList(["type"], Struct(), merge: true, atomic: true))))),
                """{"metadata":{"creationTimestamp":null},"spec":{""" + workloadTemplate + """},"status":{}}"""),
            ["batch/CronJob"] = (Root(("spec", Struct(("jobTemplate", Struct(("metadata", TemplateMeta()), ("spec", Struct(("selector", labelSelector), ("template", template)))))))),
                """{"metadata":{"creationTimestamp":null},"spec":{"schedule":"","jobTemplate":{"metadata":{"creationTimestamp":null},"spec":{""" + workloadTemplate + """}}},"status":{}}"""),
            ["rbac.authorization.k8s.io/Role"] = (Root(("rules", AtomicList())), """{"metadata":{"creationTimestamp":null},"rules":null}"""),
            ["rbac.authorization.k8s.io/ClusterRole"] = (Root(("rules", AtomicList()), ("aggregationRule", Struct(("clusterRoleSelectors", AtomicList())))),
                """{"metadata":{"creationTimestamp":null},"rules":null}"""),
            ["rbac.authorization.k8s.io/RoleBinding"] = (Root(("subjects", AtomicList()), ("roleRef", Struct(atomic: true))),
                """{"metadata":{"creationTimestamp":null},"roleRef":{"apiGroup":"","kind":"","name":""}}"""),
            ["rbac.authorization.k8s.io/ClusterRoleBinding"] = (Root(("subjects", AtomicList()), ("roleRef", Struct(atomic: true))),
                """{"metadata":{"creationTimestamp":null},"roleRef":{"apiGroup":"","kind":"","name":""}}"""),
            ["networking.k8s.io/Ingress"] = (Root(("spec", Struct(("rules", AtomicList()), ("tls", AtomicList()))), ("status", Struct(("loadBalancer", Struct(("ingress", AtomicList())))))),
                """{"metadata":{"creationTimestamp":null},"spec":{},"status":{"loadBalancer":{}}}"""),
            ["networking.k8s.io/NetworkPolicy"] = (Root(("spec", Struct(("podSelector", labelSelector), ("ingress", AtomicList()), ("egress", AtomicList()), ("policyTypes", AtomicList())))),
                """{"metadata":{"creationTimestamp":null},"spec":{"podSelector":{}}}"""),
            ["policy/PodDisruptionBudget"] = (Root(("spec", Struct(("selector", labelSelector))), ("status", Struct(("conditions", conditions)))),
                """{"metadata":{"creationTimestamp":null},"spec":{},"status":{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}}"""),
            ["autoscaling/HorizontalPodAutoscaler"] = (Root(("spec", Struct(("metrics", AtomicList()))), ("status", Struct(("conditions", conditions)))),
                """{"metadata":{"creationTimestamp":null},"spec":{"scaleTargetRef":{"kind":"","name":""},"maxReplicas":0},"status":{"desiredReplicas":0}}"""),
            ["apiextensions.k8s.io/CustomResourceDefinition"] = (Root(("spec", Struct(("versions", AtomicList()))), ("status", Struct(("conditions", conditions)))),
                """{"metadata":{"creationTimestamp":null},"spec":{"group":"","names":{"plural":"","kind":""},"scope":"","versions":null},"status":{"acceptedNames":{"plural":"","kind":""},"storedVersions":null}}"""),
        };
        return kinds;
    }

    /// <summary>Root of a built-in object: apiVersion, kind, metadata and the given fields.</summary>
    internal static SchemaNode Root(params (string Name, SchemaNode Node)[] fields)
    {
        var root = Struct(fields);
        root.Fields["apiVersion"] = SchemaNode.ScalarNode;
        root.Fields["kind"] = SchemaNode.ScalarNode;
        root.Fields["metadata"] = ObjectMeta();
        return root;
    }

    /// <summary><c>metav1.ObjectMeta</c>.</summary>
    internal static SchemaNode ObjectMeta() => Struct(
        ("labels", Map(SchemaNode.ScalarNode)),
        ("annotations", Map(SchemaNode.ScalarNode)),
        ("finalizers", SetList(merge: true)),
        ("ownerReferences", MapList(["uid"], Struct(), merge: true)),
        ("managedFields", AtomicList()));

    private static SchemaNode TemplateMeta() => ObjectMeta();

    private static SchemaNode PodTemplateSpec() => Struct(("metadata", TemplateMeta()), ("spec", PodSpec()));

    private static SchemaNode LabelSelectorNode() => Struct(atomic: true);

    private static SchemaNode PodSpec()
    {
        var container = Container();
        return Struct(
            ("volumes", MapList(["name"], Struct(), merge: true)),
            ("initContainers", MapList(["name"], container, merge: true)),
            ("containers", MapList(["name"], container, merge: true)),
            ("ephemeralContainers", MapList(["name"], container, merge: true)),
            ("imagePullSecrets", MapList(["name"], Struct(), merge: true)),
            ("tolerations", AtomicList()),
            ("hostAliases", MapList(["ip"], Struct(), merge: true)),
            ("nodeSelector", Map(SchemaNode.ScalarNode, atomic: true)),
            ("readinessGates", AtomicList()),
            ("topologySpreadConstraints", MapList(["topologyKey", "whenUnsatisfiable"], Struct(), merge: true, patchMergeKey: "topologyKey")),
            ("resourceClaims", MapList(["name"], Struct(), merge: true)),
            ("schedulingGates", MapList(["name"], Struct(), merge: true)),
            ("overhead", Map(SchemaNode.ScalarNode)),
            ("affinity", Struct()));
    }

    private static SchemaNode Container() => Struct(
        ("command", AtomicList()),
        ("args", AtomicList()),
        ("ports", MapList(["containerPort", "protocol"], Struct(), merge: true, patchMergeKey: "containerPort", keyDefaults: TcpDefault())),
        ("envFrom", AtomicList()),
        ("env", MapList(["name"], Struct(), merge: true)),
        ("volumeMounts", MapList(["mountPath"], Struct(), merge: true)),
        ("volumeDevices", MapList(["devicePath"], Struct(), merge: true)),
        ("resizePolicy", AtomicList()),
        ("resources", Struct(("limits", Map(SchemaNode.ScalarNode)), ("requests", Map(SchemaNode.ScalarNode)), ("claims", MapList(["name"], Struct())))));

    private static SchemaNode ServiceSpec() => Struct(
        ("ports", MapList(["port", "protocol"], Struct(), merge: true, patchMergeKey: "port", keyDefaults: TcpDefault())),
        ("selector", Map(SchemaNode.ScalarNode, atomic: true)),
        ("clusterIPs", AtomicList()),
        ("externalIPs", AtomicList()),
        ("loadBalancerSourceRanges", AtomicList()),
        ("ipFamilies", AtomicList()));

    internal static SchemaNode Struct(params (string Name, SchemaNode Node)[] fields) => Struct(false, fields);

    internal static SchemaNode Struct(bool atomic, params (string Name, SchemaNode Node)[] fields)
    {
        var node = new SchemaNode { Kind = SchemaKind.Struct, Atomic = atomic };
        foreach (var (name, child) in fields)
        {
            node.Fields[name] = child;
        }

        return node;
    }

    internal static SchemaNode Map(SchemaNode element, bool atomic = false) => new() { Kind = SchemaKind.Map, Element = element, Atomic = atomic };

    internal static SchemaNode AtomicList() => new() { Kind = SchemaKind.List, List = new ListInfo(ListType.Atomic, [], false) };

    internal static SchemaNode SetList(bool merge) => new() { Kind = SchemaKind.List, Element = SchemaNode.ScalarNode, List = new ListInfo(ListType.Set, [], merge) };

    internal static SchemaNode MapList(string[] keys, SchemaNode item, bool merge = false, string? patchMergeKey = null, bool atomic = false, Dictionary<string, string>? keyDefaults = null)
        => new()
        {
            Kind = SchemaKind.List,
            Element = item,
            List = new ListInfo(atomic ? ListType.Atomic : ListType.Map, atomic ? [] : keys, merge) { PatchMergeKey = patchMergeKey ?? keys[0], KeyDefaults = keyDefaults },
        };

    private static Dictionary<string, string> TcpDefault() => new(StringComparer.Ordinal) { ["protocol"] = "TCP" };

    /// <summary>Parses a skeleton (never null).</summary>
    internal static JsonObject ParseSkeleton(string skeleton) => JsonNode.Parse(skeleton)!.AsObject();
}
