namespace Gitlab.Agent.Testing.Tests.Conformance;

/// <summary>Manifests shared by the kubectl conformance tests.</summary>
internal static class Manifests
{
    public static string App(string ns = "x", string value = "value1", int replicas = 2, string image = "nginx:1.27") => $"""
        apiVersion: v1
        kind: Namespace
        metadata:
          name: {ns}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: cfg
          namespace: {ns}
          labels:
            app: web
        data:
          key: {value}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: {ns}
        spec:
          replicas: {replicas}
          selector:
            matchLabels:
              app: web
          template:
            metadata:
              labels:
                app: web
            spec:
              containers:
              - name: nginx
                image: {image}
        """;

    public static string Pod(string name = "web-0", string ns = "default") => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {name}
          namespace: {ns}
        spec:
          containers:
          - name: nginx
            image: nginx:1.27
        """;
}
