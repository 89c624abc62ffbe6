using Gitlab.Agent.Testing.Semantics;

namespace Gitlab.Agent.Testing.Tests.Semantics;

public class TypeSchemaTests
{
    [Theory]
    [InlineData("apps", "Deployment", "spec.template.spec.containers", "Map", "name", "name", true)]
    [InlineData("apps", "Deployment", "spec.template.spec.initContainers", "Map", "name", "name", true)]
    [InlineData("apps", "StatefulSet", "spec.template.spec.containers.env", "Map", "name", "name", true)]
    [InlineData("apps", "DaemonSet", "spec.template.spec.containers.volumeMounts", "Map", "mountPath", "mountPath", true)]
    [InlineData("apps", "ReplicaSet", "spec.template.spec.containers.ports", "Map", "containerPort,protocol", "containerPort", true)]
    [InlineData("batch", "Job", "spec.template.spec.volumes", "Map", "name", "name", true)]
    [InlineData("batch", "CronJob", "spec.jobTemplate.spec.template.spec.containers", "Map", "name", "name", true)]
    [InlineData("", "Pod", "spec.ephemeralContainers", "Map", "name", "name", true)]
    [InlineData("", "Pod", "spec.imagePullSecrets", "Map", "name", "name", true)]
    [InlineData("", "Pod", "spec.tolerations", "Atomic", "", null, false)]
    [InlineData("", "PodTemplate", "template.spec.containers", "Map", "name", "name", true)]
    [InlineData("", "Service", "spec.ports", "Map", "port,protocol", "port", true)]
    [InlineData("", "ConfigMap", "metadata.ownerReferences", "Map", "uid", "uid", true)]
    [InlineData("", "ConfigMap", "metadata.finalizers", "Set", "", null, true)]
    [InlineData("apps", "Deployment", "status.conditions", "Map", "type", "type", true)]
    [InlineData("rbac.authorization.k8s.io", "Role", "rules", "Atomic", "", null, false)]
    [InlineData("rbac.authorization.k8s.io", "ClusterRole", "rules", "Atomic", "", null, false)]
    [InlineData("rbac.authorization.k8s.io", "RoleBinding", "subjects", "Atomic", "", null, false)]
    [InlineData("networking.k8s.io", "Ingress", "spec.rules", "Atomic", "", null, false)]
    [InlineData("networking.k8s.io", "NetworkPolicy", "spec.ingress", "Atomic", "", null, false)]
    [InlineData("networking.k8s.io", "NetworkPolicy", "spec.egress", "Atomic", "", null, false)]
    public void BuiltinLists(string group, string kind, string path, string typeName, string keys, string? mergeKey, bool merge)
    {
        var list = TypeSchema.ForBuiltin(group, "v1", kind).GetList(path.Split('.'));
        Assert.NotNull(list);
        Assert.Equal(Enum.Parse<ListType>(typeName), list.Type);
        Assert.Equal(keys, string.Join(",", list.Keys));
        Assert.Equal(merge, list.MergeStrategy);
        if (mergeKey is not null)
        {
            Assert.Equal(mergeKey, list.EffectivePatchMergeKey);
        }
    }

    [Fact]
    public void UndeclaredListsAreNotLists()
    {
        Assert.Null(TypeSchema.ForBuiltin("apps", "v1", "Deployment").GetList(["spec", "template", "spec", "containers", "command2"]));
        Assert.Null(TypeSchema.Unknown.GetList(["spec", "items"]));
    }

    [Fact]
    public void AtomicMaps()
    {
        var deployment = TypeSchema.ForBuiltin("apps", "v1", "Deployment");
        Assert.True(deployment.IsAtomicMap(["spec", "selector"]));
        Assert.False(deployment.IsAtomicMap(["metadata", "labels"]));
        Assert.False(deployment.IsAtomicMap(["spec", "template", "metadata", "annotations"]));
        Assert.True(TypeSchema.ForBuiltin("", "v1", "Service").IsAtomicMap(["spec", "selector"]));
        Assert.False(TypeSchema.Unknown.IsAtomicMap(["spec"]));
    }

    [Fact]
    public void ReadsCrdStructuralSchema()
    {
        var schema = TypeSchema.FromOpenApiV3(Json.Obj("""
            {"type":"object","properties":{
              "spec":{"type":"object","properties":{
                "items":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name","zone"],
                         "items":{"type":"object","properties":{"name":{"type":"string"},"zone":{"type":"string"},"tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}}}}},
                "plain":{"type":"array","items":{"type":"string"}},
                "sel":{"type":"object","x-kubernetes-map-type":"atomic","additionalProperties":{"type":"string"}},
                "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}
            """));
        var items = schema.GetList(["spec", "items"]);
        Assert.Equal(ListType.Map, items!.Type);
        Assert.Equal(["name", "zone"], items.Keys);
        Assert.False(items.MergeStrategy);
        Assert.Equal(ListType.Set, schema.GetList(["spec", "items", "tags"])!.Type);
        Assert.Equal(ListType.Atomic, schema.GetList(["spec", "plain"])!.Type);
        Assert.True(schema.IsAtomicMap(["spec", "sel"]));
        Assert.Equal(ListType.Set, schema.GetList(["metadata", "finalizers"])!.Type);
        Assert.Equal(SchemaKind.Deduced, schema.Navigate(["spec", "free", "x"]).Kind);
        Assert.False(schema.SupportsStrategicMerge);
        Assert.True(TypeSchema.ForBuiltin("", "v1", "ConfigMap").SupportsStrategicMerge);
    }
}

public class TypeSchemaSkeletonTests
{
    [Theory]
    [InlineData("", "Pod")]
    [InlineData("", "PodTemplate")]
    [InlineData("", "ConfigMap")]
    [InlineData("", "Secret")]
    [InlineData("", "Namespace")]
    [InlineData("", "ServiceAccount")]
    [InlineData("", "Service")]
    [InlineData("", "Endpoints")]
    [InlineData("", "Node")]
    [InlineData("", "PersistentVolumeClaim")]
    [InlineData("", "Event")]
    [InlineData("apps", "Deployment")]
    [InlineData("apps", "ReplicaSet")]
    [InlineData("apps", "StatefulSet")]
    [InlineData("apps", "DaemonSet")]
    [InlineData("apps", "ControllerRevision")]
    [InlineData("batch", "Job")]
    [InlineData("batch", "CronJob")]
    [InlineData("rbac.authorization.k8s.io", "Role")]
    [InlineData("rbac.authorization.k8s.io", "ClusterRole")]
    [InlineData("rbac.authorization.k8s.io", "RoleBinding")]
    [InlineData("rbac.authorization.k8s.io", "ClusterRoleBinding")]
    [InlineData("networking.k8s.io", "Ingress")]
    [InlineData("networking.k8s.io", "NetworkPolicy")]
    [InlineData("policy", "PodDisruptionBudget")]
    [InlineData("autoscaling", "HorizontalPodAutoscaler")]
    [InlineData("apiextensions.k8s.io", "CustomResourceDefinition")]
    [InlineData("example.com", "Unknown")]
    public void EveryBuiltinHasAnEmptyObjectWithMetadata(string group, string kind)
    {
        var skeleton = TypeSchema.ForBuiltin(group, "v1", kind).CreateSkeleton();
        if (group != "example.com")
        {
            Assert.True(skeleton.ContainsKey("metadata"));
        }
    }
}
