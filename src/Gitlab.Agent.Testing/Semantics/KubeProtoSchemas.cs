namespace Gitlab.Agent.Testing.Semantics;

/// <summary>Wire type of a protobuf field as the Kubernetes API types use it.</summary>
internal enum ProtoKind
{
    /// <summary>string.</summary>
    String,

    /// <summary>bytes (JSON: base64).</summary>
    Bytes,

    /// <summary>int32/int64 varint.</summary>
    Int,

    /// <summary>bool varint.</summary>
    Bool,

    /// <summary>Nested message.</summary>
    Message,

    /// <summary>metav1.Time {seconds, nanos} (JSON: RFC 3339).</summary>
    Time,

    /// <summary>resource.Quantity {string} (JSON: string).</summary>
    Quantity,

    /// <summary>intstr.IntOrString {type, intVal, strVal}.</summary>
    IntOrString,

    /// <summary>map&lt;string,string&gt;.</summary>
    MapString,

    /// <summary>map&lt;string,bytes&gt; (JSON: base64 values).</summary>
    MapBytes,

    /// <summary>map&lt;string,Quantity&gt;.</summary>
    MapQuantity,
}

/// <summary>A field of a protobuf message: JSON name, type, whether repeated, whether a zero value is meaningful (pointer fields).</summary>
internal sealed record ProtoField(int Number, string Name, ProtoKind Kind, Func<ProtoMessage>? Message = null, bool Repeated = false, bool KeepZero = false, bool Int32 = false);

/// <summary>A protobuf message: its Go type name and fields by number.</summary>
internal sealed class ProtoMessage(string name, params ProtoField[] fields)
{
    /// <summary>Go type name (for error messages).</summary>
    public string Name { get; } = name;

    /// <summary>Fields by number.</summary>
    public Dictionary<int, ProtoField> Fields { get; } = fields.ToDictionary(f => f.Number);
}

/// <summary>
/// Field tables of the kinds kubectl's typed clients create, from the <c>protobuf:"…"</c> tags of
/// k8s.io/api and k8s.io/apimachinery (<c>generated.proto</c>).
/// </summary>
internal static class KubeProtoSchemas
{
    private static ProtoField S(int n, string name, bool keep = false) => new(n, name, ProtoKind.String, KeepZero: keep);

    private static ProtoField Strings(int n, string name) => new(n, name, ProtoKind.String, Repeated: true);

    private static ProtoField I32(int n, string name, bool keep = false) => new(n, name, ProtoKind.Int, KeepZero: keep, Int32: true);

    private static ProtoField I64(int n, string name, bool keep = false) => new(n, name, ProtoKind.Int, KeepZero: keep);

    private static ProtoField B(int n, string name, bool keep = false) => new(n, name, ProtoKind.Bool, KeepZero: keep);

    private static ProtoField M(int n, string name, Func<ProtoMessage> message, bool keep = false) => new(n, name, ProtoKind.Message, message, KeepZero: keep);

    private static ProtoField Ms(int n, string name, Func<ProtoMessage> message) => new(n, name, ProtoKind.Message, message, Repeated: true);

    private static ProtoField Map(int n, string name) => new(n, name, ProtoKind.MapString);

    private static readonly Lazy<ProtoMessage> ObjectMetaMessage = new(() => new("ObjectMeta",
        S(1, "name"), S(2, "generateName"), S(3, "namespace"), S(4, "selfLink"), S(5, "uid"), S(6, "resourceVersion"),
        I64(7, "generation"), new(8, "creationTimestamp", ProtoKind.Time), new(9, "deletionTimestamp", ProtoKind.Time),
        I64(10, "deletionGracePeriodSeconds", keep: true), Map(11, "labels"), Map(12, "annotations"),
        Ms(13, "ownerReferences", () => OwnerReference!.Value), Strings(14, "finalizers")));

    private static readonly Lazy<ProtoMessage> OwnerReference = new(() => new("OwnerReference",
        S(1, "kind"), S(3, "name"), S(4, "uid"), S(5, "apiVersion"), B(6, "controller", keep: true), B(7, "blockOwnerDeletion", keep: true)));

    private static readonly Lazy<ProtoMessage> LabelSelector = new(() => new("LabelSelector",
        Map(1, "matchLabels"),
        Ms(2, "matchExpressions", () => new("LabelSelectorRequirement", S(1, "key"), S(2, "operator"), Strings(3, "values")))));

    private static readonly Lazy<ProtoMessage> ContainerPort = new(() => new("ContainerPort",
        S(1, "name"), I32(2, "hostPort"), I32(3, "containerPort"), S(4, "protocol"), S(5, "hostIP")));

    private static readonly Lazy<ProtoMessage> EnvVar = new(() => new("EnvVar", S(1, "name"), S(2, "value")));

    private static readonly Lazy<ProtoMessage> ResourceRequirements = new(() => new("ResourceRequirements",
        new(1, "limits", ProtoKind.MapQuantity), new(2, "requests", ProtoKind.MapQuantity)));

    private static readonly Lazy<ProtoMessage> Container = new(() => new("Container",
        S(1, "name"), S(2, "image"), Strings(3, "command"), Strings(4, "args"), S(5, "workingDir"),
        Ms(6, "ports", () => ContainerPort.Value), Ms(7, "env", () => EnvVar.Value), M(8, "resources", () => ResourceRequirements.Value),
        S(13, "terminationMessagePath"), S(14, "imagePullPolicy"), B(16, "stdin"), B(17, "stdinOnce"), B(18, "tty"),
        S(20, "terminationMessagePolicy")));

    private static readonly Lazy<ProtoMessage> PodSpec = new(() => new("PodSpec",
        Ms(2, "containers", () => Container.Value), S(3, "restartPolicy"), I64(4, "terminationGracePeriodSeconds", keep: true),
        I64(5, "activeDeadlineSeconds", keep: true), S(6, "dnsPolicy"), Map(7, "nodeSelector"), S(8, "serviceAccountName"),
        S(9, "serviceAccount"), S(10, "nodeName"), B(11, "hostNetwork"), B(12, "hostPID"), B(13, "hostIPC"),
        Ms(15, "imagePullSecrets", () => LocalObjectReference!.Value), S(16, "hostname"), S(17, "subdomain"),
        S(19, "schedulerName"), Ms(20, "initContainers", () => Container.Value)));

    private static readonly Lazy<ProtoMessage> PodTemplateSpec = new(() => new("PodTemplateSpec",
        M(1, "metadata", () => ObjectMetaMessage.Value), M(2, "spec", () => PodSpec.Value)));

    private static readonly Lazy<ProtoMessage> LocalObjectReference = new(() => new("LocalObjectReference", S(1, "name")));

    private static readonly Lazy<ProtoMessage> ObjectReference = new(() => new("ObjectReference",
        S(1, "kind"), S(2, "namespace"), S(3, "name"), S(4, "uid"), S(5, "apiVersion"), S(6, "resourceVersion"), S(7, "fieldPath")));

    private static readonly Lazy<ProtoMessage> IntOrStringHolder = new(() => new("RollingUpdateDeployment",
        new(1, "maxUnavailable", ProtoKind.IntOrString), new(2, "maxSurge", ProtoKind.IntOrString)));

    private static readonly Lazy<ProtoMessage> DeploymentSpec = new(() => new("DeploymentSpec",
        I32(1, "replicas", keep: true), M(2, "selector", () => LabelSelector.Value), M(3, "template", () => PodTemplateSpec.Value),
        M(4, "strategy", () => new("DeploymentStrategy", S(1, "type"), M(2, "rollingUpdate", () => IntOrStringHolder.Value))),
        I32(5, "minReadySeconds"), I32(6, "revisionHistoryLimit", keep: true), B(7, "paused"), I32(9, "progressDeadlineSeconds", keep: true)));

    private static readonly Lazy<ProtoMessage> JobSpec = new(() => new("JobSpec",
        I32(1, "parallelism", keep: true), I32(2, "completions", keep: true), I64(3, "activeDeadlineSeconds", keep: true),
        M(4, "selector", () => LabelSelector.Value), B(5, "manualSelector", keep: true), M(6, "template", () => PodTemplateSpec.Value),
        I32(7, "backoffLimit", keep: true), I32(8, "ttlSecondsAfterFinished", keep: true), S(9, "completionMode"), B(10, "suspend", keep: true)));

    private static readonly Lazy<ProtoMessage> PolicyRule = new(() => new("PolicyRule",
        Strings(1, "verbs"), Strings(2, "apiGroups"), Strings(3, "resources"), Strings(4, "resourceNames"), Strings(5, "nonResourceURLs")));

    private static readonly Lazy<ProtoMessage> Subject = new(() => new("Subject", S(1, "kind"), S(2, "apiGroup"), S(3, "name"), S(4, "namespace")));

    private static readonly Lazy<ProtoMessage> RoleRef = new(() => new("RoleRef", S(1, "apiGroup"), S(2, "kind"), S(3, "name")));

    private static ProtoField Metadata() => M(1, "metadata", () => ObjectMetaMessage.Value, keep: true);

    /// <summary>Messages by <c>group/Kind</c> (core group: <c>/Kind</c>).</summary>
    public static readonly IReadOnlyDictionary<string, ProtoMessage> Kinds = new Dictionary<string, ProtoMessage>(StringComparer.Ordinal)
    {
        ["/Namespace"] = new("Namespace", Metadata(),
            M(2, "spec", () => new("NamespaceSpec", Strings(1, "finalizers"))),
            M(3, "status", () => new("NamespaceStatus", S(1, "phase")))),
        ["/ConfigMap"] = new("ConfigMap", Metadata(), Map(2, "data"), new(3, "binaryData", ProtoKind.MapBytes), B(4, "immutable", keep: true)),
        ["/Secret"] = new("Secret", Metadata(), new(2, "data", ProtoKind.MapBytes), S(3, "type"), Map(4, "stringData"), B(5, "immutable", keep: true)),
        ["/ServiceAccount"] = new("ServiceAccount", Metadata(), Ms(2, "secrets", () => ObjectReference.Value),
            Ms(3, "imagePullSecrets", () => LocalObjectReference.Value), B(4, "automountServiceAccountToken", keep: true)),
        ["/Pod"] = new("Pod", Metadata(), M(2, "spec", () => PodSpec.Value), M(3, "status", () => new("PodStatus", S(1, "phase")))),
        ["/Service"] = new("Service", Metadata(),
            M(2, "spec", () => new("ServiceSpec",
                Ms(1, "ports", () => new("ServicePort", S(1, "name"), S(2, "protocol"), I32(3, "port"), new(4, "targetPort", ProtoKind.IntOrString), I32(5, "nodePort"))),
                Map(2, "selector"), S(3, "clusterIP"), S(4, "type"))),
            M(3, "status", () => new("ServiceStatus"))),
        ["apps/Deployment"] = new("Deployment", Metadata(), M(2, "spec", () => DeploymentSpec.Value), M(3, "status", () => new("DeploymentStatus"))),
        ["batch/Job"] = new("Job", Metadata(), M(2, "spec", () => JobSpec.Value), M(3, "status", () => new("JobStatus"))),
        ["batch/CronJob"] = new("CronJob", Metadata(),
            M(2, "spec", () => new("CronJobSpec",
                S(1, "schedule"), I64(2, "startingDeadlineSeconds", keep: true), S(3, "concurrencyPolicy"), B(4, "suspend", keep: true),
                M(5, "jobTemplate", () => new("JobTemplateSpec", M(1, "metadata", () => ObjectMetaMessage.Value), M(2, "spec", () => JobSpec.Value))),
                I32(6, "successfulJobsHistoryLimit", keep: true), I32(7, "failedJobsHistoryLimit", keep: true), S(8, "timeZone", keep: false))),
            M(3, "status", () => new("CronJobStatus"))),
        ["authorization.k8s.io/SelfSubjectAccessReview"] = new("SelfSubjectAccessReview", Metadata(),
            M(2, "spec", () => new("SelfSubjectAccessReviewSpec",
                M(1, "resourceAttributes", () => new("ResourceAttributes",
                    S(1, "namespace"), S(2, "verb"), S(3, "group"), S(4, "version"), S(5, "resource"), S(6, "subresource"), S(7, "name"))),
                M(2, "nonResourceAttributes", () => new("NonResourceAttributes", S(1, "path"), S(2, "verb"))))),
            M(3, "status", () => new("SubjectAccessReviewStatus", B(1, "allowed"), S(2, "reason"), S(3, "evaluationError"), B(4, "denied")))),
        ["authorization.k8s.io/SelfSubjectRulesReview"] = new("SelfSubjectRulesReview", Metadata(),
            M(2, "spec", () => new("SelfSubjectRulesReviewSpec", S(1, "namespace"))),
            M(3, "status", () => new("SubjectRulesReviewStatus"))),
        ["rbac.authorization.k8s.io/Role"] = new("Role", Metadata(), Ms(2, "rules", () => PolicyRule.Value)),
        ["rbac.authorization.k8s.io/ClusterRole"] = new("ClusterRole", Metadata(), Ms(2, "rules", () => PolicyRule.Value)),
        ["rbac.authorization.k8s.io/RoleBinding"] = new("RoleBinding", Metadata(), Ms(2, "subjects", () => Subject.Value), M(3, "roleRef", () => RoleRef.Value)),
        ["rbac.authorization.k8s.io/ClusterRoleBinding"] = new("ClusterRoleBinding", Metadata(), Ms(2, "subjects", () => Subject.Value), M(3, "roleRef", () => RoleRef.Value)),
    };
}
