using k8s.Models;

namespace Gitlab.Agent.Testing.Registry;

/// <summary>The built-in kinds the server serves, with kube-apiserver 1.32's discovery facts.</summary>
internal static class BuiltinResources
{
    private static readonly string[] CreateOnlyVerbs = ["create"];
    private static readonly string[] NamespaceVerbs = ["create", "delete", "get", "list", "patch", "update", "watch"];
    private static readonly string[] SubresourceVerbs = ["get", "patch", "update"];
    private static readonly string[] All = ["all"];

    public static IReadOnlyList<ResourceType> Create() =>
    [
        // core/v1
        Core("Namespace", "namespaces", namespaced: false, Schema<V1Namespace>(), shortNames: ["ns"], hasStatus: true, verbs: NamespaceVerbs,
            returnDeleted: true, other: [("finalize", "Namespace", "", "v1", ["update"])],
            fields: new() { ["status.phase"] = "status.phase" }),
        Core("ConfigMap", "configmaps", namespaced: true, Schema<V1ConfigMap>(), shortNames: ["cm"]),
        Core("Secret", "secrets", namespaced: true, Schema<V1Secret>(), fields: new() { ["type"] = "type" }),
        Core("ServiceAccount", "serviceaccounts", namespaced: true, Schema<V1ServiceAccount>(), shortNames: ["sa"], returnDeleted: true,
            other: [("token", "TokenRequest", "authentication.k8s.io", "v1", ["create"])]),
        Core("Service", "services", namespaced: true, Schema<V1Service>(), shortNames: ["svc"], categories: All, hasStatus: true, returnDeleted: true),
        Core("Pod", "pods", namespaced: true, Schema<V1Pod>(), shortNames: ["po"], categories: All, hasStatus: true, returnDeleted: true,
            other:
            [
                ("attach", "PodAttachOptions", "", "v1", ["create", "get"]),
                ("exec", "PodExecOptions", "", "v1", ["create", "get"]),
                ("log", "Pod", "", "v1", ["get"]),
            ],
            fields: new()
            {
                ["spec.nodeName"] = "spec.nodeName",
                ["spec.restartPolicy"] = "spec.restartPolicy",
                ["spec.schedulerName"] = "spec.schedulerName",
                ["spec.serviceAccountName"] = "spec.serviceAccountName",
                ["spec.hostNetwork"] = "spec.hostNetwork",
                ["status.phase"] = "status.phase",
                ["status.podIP"] = "status.podIP",
                ["status.nominatedNodeName"] = "status.nominatedNodeName",
            }),
        Core("Event", "events", namespaced: true, Schema<Corev1Event>(), shortNames: ["ev"],
            fields: new()
            {
                ["involvedObject.kind"] = "involvedObject.kind",
                ["involvedObject.namespace"] = "involvedObject.namespace",
                ["involvedObject.name"] = "involvedObject.name",
                ["involvedObject.uid"] = "involvedObject.uid",
                ["involvedObject.apiVersion"] = "involvedObject.apiVersion",
                ["involvedObject.resourceVersion"] = "involvedObject.resourceVersion",
                ["involvedObject.fieldPath"] = "involvedObject.fieldPath",
                ["reason"] = "reason",
                ["reportingComponent"] = "reportingComponent",
                ["source"] = "source.component",
                ["type"] = "type",
            }),
        Core("Node", "nodes", namespaced: false, Schema<V1Node>(), shortNames: ["no"], hasStatus: true, returnDeleted: true,
            fields: new() { ["spec.unschedulable"] = "spec.unschedulable" }),

        // apps/v1
        Typed("apps", "v1", "Deployment", "deployments", Schema<V1Deployment>(), ["deploy"], All, scale: true),
        Typed("apps", "v1", "ReplicaSet", "replicasets", Schema<V1ReplicaSet>(), ["rs"], All, scale: true,
            fields: new() { ["status.replicas"] = "status.replicas" }),
        Typed("apps", "v1", "StatefulSet", "statefulsets", Schema<V1StatefulSet>(), ["sts"], All, scale: true),
        Typed("apps", "v1", "DaemonSet", "daemonsets", Schema<V1DaemonSet>(), ["ds"], All),

        // batch/v1
        Typed("batch", "v1", "Job", "jobs", Schema<V1Job>(), [], All, fields: new() { ["status.successful"] = "status.succeeded" }),
        Typed("batch", "v1", "CronJob", "cronjobs", Schema<V1CronJob>(), ["cj"], All),

        // networking.k8s.io/v1
        Typed("networking.k8s.io", "v1", "Ingress", "ingresses", Schema<V1Ingress>(), ["ing"], []),
        Typed("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", Schema<V1NetworkPolicy>(), ["netpol"], [], hasStatus: false),

        // rbac.authorization.k8s.io/v1
        Plain("rbac.authorization.k8s.io", "v1", "Role", "roles", true, Schema<V1Role>()),
        Plain("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, Schema<V1RoleBinding>()),
        Plain("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, Schema<V1ClusterRole>()),
        Plain("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, Schema<V1ClusterRoleBinding>()),

        // apiextensions.k8s.io/v1
        new ResourceType
        {
            Group = "apiextensions.k8s.io", Version = "v1", Kind = "CustomResourceDefinition", Plural = "customresourcedefinitions",
            Singular = "customresourcedefinition", Namespaced = false, ShortNames = ["crd", "crds"], Categories = ["api-extensions"],
            HasStatus = true, HasGeneration = true, Schema = Schema<V1CustomResourceDefinition>(),
        },

        // coordination.k8s.io/v1
        Plain("coordination.k8s.io", "v1", "Lease", "leases", true, Schema<V1Lease>()),

        // authorization.k8s.io/v1 (review kinds: create only, never stored)
        Review("SelfSubjectAccessReview", "selfsubjectaccessreviews", false, Schema<V1SelfSubjectAccessReview>()),
        Review("SelfSubjectRulesReview", "selfsubjectrulesreviews", false, Schema<V1SelfSubjectRulesReview>()),
        Review("SubjectAccessReview", "subjectaccessreviews", false, Schema<V1SubjectAccessReview>()),
        Review("LocalSubjectAccessReview", "localsubjectaccessreviews", true, Schema<V1LocalSubjectAccessReview>()),
        Review("SelfSubjectReview", "selfsubjectreviews", false, Schema<V1SelfSubjectReview>(), "authentication.k8s.io"),
    ];

    private static SchemaNode Schema<T>() => SchemaNode.FromClr(typeof(T));

    private static string SingularOf(string kind) => kind.ToLowerInvariant();

    private static ResourceType Core(string kind, string plural, bool namespaced, SchemaNode schema, string[]? shortNames = null,
        string[]? categories = null, bool hasStatus = false, string[]? verbs = null, bool returnDeleted = false,
        (string, string, string, string, string[])[]? other = null, Dictionary<string, string>? fields = null) => new()
        {
            Group = string.Empty,
            Version = "v1",
            Kind = kind,
            Plural = plural,
            Singular = SingularOf(kind),
            Namespaced = namespaced,
            ShortNames = shortNames ?? [],
            Categories = categories ?? [],
            HasStatus = hasStatus,
            Verbs = verbs ?? ResourceType.AllVerbs,
            ReturnDeletedObject = returnDeleted,
            OtherSubresources = other ?? [],
            FieldSelectors = fields ?? [],
            Schema = schema,
        };

    private static ResourceType Typed(string group, string version, string kind, string plural, SchemaNode schema, string[] shortNames,
        string[] categories, bool scale = false, bool hasStatus = true, Dictionary<string, string>? fields = null) => new()
        {
            Group = group,
            Version = version,
            Kind = kind,
            Plural = plural,
            Singular = SingularOf(kind),
            Namespaced = true,
            ShortNames = shortNames,
            Categories = categories,
            HasStatus = hasStatus,
            HasGeneration = true,
            Scale = scale ? new ScaleSpec(".spec.replicas", ".status.replicas", ".status.selector") : null,
            FieldSelectors = fields ?? [],
            Schema = schema,
        };

    private static ResourceType Plain(string group, string version, string kind, string plural, bool namespaced, SchemaNode schema) => new()
    {
        Group = group,
        Version = version,
        Kind = kind,
        Plural = plural,
        Singular = SingularOf(kind),
        Namespaced = namespaced,
        Schema = schema,
    };

    private static ResourceType Review(string kind, string plural, bool namespaced, SchemaNode schema, string group = "authorization.k8s.io") => new()
    {
        Group = group,
        Version = "v1",
        Kind = kind,
        Plural = plural,
        Singular = SingularOf(kind),
        Namespaced = namespaced,
        Verbs = CreateOnlyVerbs,
        CreateOnly = true,
        Schema = schema,
    };

    public static string[] SubresourceVerbsFor() => SubresourceVerbs;
}
