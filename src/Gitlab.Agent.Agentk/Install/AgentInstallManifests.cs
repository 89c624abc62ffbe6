using System.Text;
using k8s;
using k8s.Models;

namespace Gitlab.Agent.Agentk.Install;

/// <summary>
/// Generates the stock agentk deployment as multi-document YAML (what <c>agentk generate</c> prints): Namespace,
/// ServiceAccount, token Secret, optional CA ConfigMap, the <c>…-gitops-read-all</c>/<c>…-gitops-write-all</c>
/// ClusterRoles and bindings, and a one-replica Deployment (rolling update 1/0, non-root 65532, read-only root
/// filesystem, token mounted at <c>/config</c>, downward-API <c>POD_NAMESPACE</c>/<c>POD_NAME</c>, probes on the
/// observability port).
/// </summary>
public static class AgentInstallManifests
{
    /// <summary>Where the token Secret is mounted; the token file is <c>/config/token</c>.</summary>
    public const string TokenMountPath = "/config";

    /// <summary>Where the CA ConfigMap is mounted; the file is <c>ca.crt</c>.</summary>
    public const string CaMountPath = "/etc/gitlab-agent/ca";

    /// <summary>The observability port agentk serves <c>/liveness</c>, <c>/readiness</c> and <c>/metrics</c> on.</summary>
    public const int ObservabilityPort = 8080;

    /// <summary>Checks <paramref name="options"/>; returns one message per problem, naming the option.</summary>
    public static IReadOnlyList<string> Validate(AgentInstallOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.AgentToken))
        {
            errors.Add("--agent-token is required (the agent token shown once when it was created)");
        }
        else if (options.AgentToken.Any(char.IsWhiteSpace))
        {
            errors.Add("--agent-token must not contain whitespace");
        }

        if (string.IsNullOrWhiteSpace(options.KasAddress))
        {
            errors.Add("--kas-address is required, e.g. wss://kas.gitlab.example.com or grpc://kas.example.com:8150");
        }
        else if (!Uri.TryCreate(options.KasAddress, UriKind.Absolute, out var kas) || kas.Scheme is not ("grpc" or "grpcs" or "ws" or "wss"))
        {
            errors.Add($"--kas-address '{options.KasAddress}' must be a grpc://, grpcs://, ws:// or wss:// URL");
        }

        if (string.IsNullOrWhiteSpace(options.Image) && string.IsNullOrWhiteSpace(options.AgentVersion))
        {
            errors.Add("--agent-version must not be empty");
        }

        if (DnsLabelError(options.Namespace) is { } ns)
        {
            errors.Add($"--namespace '{options.Namespace}' {ns}");
        }

        if (DnsLabelError(options.Name) is { } name)
        {
            errors.Add($"--name '{options.Name}' {name}");
        }
        else if (options.Name.Length > 40)
        {
            errors.Add($"--name '{options.Name}' must be at most 40 characters (object names get suffixes)");
        }

        if (options.CaCertificatePem is { } pem && !pem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            errors.Add("--ca-cert-file must contain PEM certificates (-----BEGIN CERTIFICATE-----)");
        }

        return errors;
    }

    /// <summary>Generates the manifests. Throws <see cref="ArgumentException"/> listing every invalid option.</summary>
    public static string Generate(AgentInstallOptions options)
    {
        var errors = Validate(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options));
        }

        var documents = new List<object>();
        var ns = options.Namespace;
        var name = options.Name;
        var labels = new Dictionary<string, string>
        {
            ["app.kubernetes.io/name"] = "gitlab-agent",
            ["app.kubernetes.io/instance"] = name,
        };
        var serviceAccount = name;
        var secretName = name + "-token";
        var caName = name + "-ca";

        documents.Add(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = ns } });
        documents.Add(new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = Meta(serviceAccount, ns, labels) });
        documents.Add(new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = Meta(secretName, ns, labels),
            Type = "Opaque",
            Data = new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes(options.AgentToken.Trim()) },
        });
        if (options.CaCertificatePem is { } ca)
        {
            documents.Add(new V1ConfigMap
            {
                ApiVersion = "v1",
                Kind = "ConfigMap",
                Metadata = Meta(caName, ns, labels),
                Data = new Dictionary<string, string> { ["ca.crt"] = ca.ReplaceLineEndings("\n") },
            });
        }

        if (options.ClusterWideAccess)
        {
            foreach (var (suffix, verbs) in new[] { ("gitops-read-all", new[] { "get", "list", "watch" }), ("gitops-write-all", new[] { "create", "update", "delete", "patch" }) })
            {
                var roleName = $"{name}-{suffix}";
                documents.Add(new V1ClusterRole
                {
                    ApiVersion = "rbac.authorization.k8s.io/v1",
                    Kind = "ClusterRole",
                    Metadata = Meta(roleName, null, labels),
                    Rules = [new V1PolicyRule { ApiGroups = ["*"], Resources = ["*"], Verbs = verbs }],
                });
                documents.Add(new V1ClusterRoleBinding
                {
                    ApiVersion = "rbac.authorization.k8s.io/v1",
                    Kind = "ClusterRoleBinding",
                    Metadata = Meta(roleName, null, labels),
                    RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = roleName },
                    Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = serviceAccount, NamespaceProperty = ns }],
                });
            }
        }

        documents.Add(Deployment(options, labels, serviceAccount, secretName, caName));

        var yaml = new StringBuilder();
        foreach (var document in documents)
        {
            yaml.Append("---\n").Append(KubernetesYaml.Serialize(document).ReplaceLineEndings("\n"));
            if (yaml[^1] != '\n')
            {
                yaml.Append('\n');
            }
        }

        return yaml.ToString();
    }

    private static V1Deployment Deployment(AgentInstallOptions options, Dictionary<string, string> labels, string serviceAccount, string secretName, string caName)
    {
        var args = new List<string> { $"--token-file={TokenMountPath}/token", "--kas-address", options.KasAddress, $"--observability-listen-address=:{ObservabilityPort}" };
        var mounts = new List<V1VolumeMount> { new() { Name = "token-volume", MountPath = TokenMountPath, ReadOnlyProperty = true } };
        var volumes = new List<V1Volume> { new() { Name = "token-volume", Secret = new V1SecretVolumeSource { SecretName = secretName } } };
        if (options.CaCertificatePem is not null)
        {
            args.Add($"--ca-cert-file={CaMountPath}/ca.crt");
            mounts.Add(new V1VolumeMount { Name = "ca-volume", MountPath = CaMountPath, ReadOnlyProperty = true });
            volumes.Add(new V1Volume { Name = "ca-volume", ConfigMap = new V1ConfigMapVolumeSource { Name = caName } });
        }

        V1Probe Probe(string path, int initialDelay) => new()
        {
            HttpGet = new V1HTTPGetAction { Path = path, Port = ObservabilityPort },
            InitialDelaySeconds = initialDelay,
            PeriodSeconds = 10,
        };

        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = Meta(options.Name, options.Namespace, labels),
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(labels) },
                Strategy = new V1DeploymentStrategy
                {
                    Type = "RollingUpdate",
                    RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = 1, MaxUnavailable = 0 },
                },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string>(labels) },
                    Spec = new V1PodSpec
                    {
                        ServiceAccountName = serviceAccount,
                        SecurityContext = new V1PodSecurityContext { RunAsUser = 65532, RunAsGroup = 65532, RunAsNonRoot = true, FsGroup = 65532 },
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "agent",
                                Image = string.IsNullOrWhiteSpace(options.Image) ? $"{options.ImageRepository}:{options.AgentVersion}" : options.Image,
                                Args = args,
                                Env =
                                [
                                    new V1EnvVar { Name = "POD_NAMESPACE", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.namespace" } } },
                                    new V1EnvVar { Name = "POD_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } } },
                                    new V1EnvVar { Name = "SERVICE_ACCOUNT_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "spec.serviceAccountName" } } },
                                ],
                                Ports = [new V1ContainerPort { Name = "observability", ContainerPort = ObservabilityPort }],
                                LivenessProbe = Probe("/liveness", 15),
                                ReadinessProbe = Probe("/readiness", 5),
                                SecurityContext = new V1SecurityContext
                                {
                                    AllowPrivilegeEscalation = false,
                                    ReadOnlyRootFilesystem = true,
                                    Capabilities = new V1Capabilities { Drop = ["ALL"] },
                                },
                                VolumeMounts = mounts,
                            },
                        ],
                        Volumes = volumes,
                    },
                },
            },
        };
    }

    private static V1ObjectMeta Meta(string name, string? ns, Dictionary<string, string> labels) =>
        new() { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string>(labels) };

    private static string? DnsLabelError(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "must not be empty";
        }

        if (value.Length > 63)
        {
            return "must be at most 63 characters";
        }

        var valid = value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            && char.IsAsciiLetterOrDigit(value[0]) && char.IsAsciiLetterOrDigit(value[^1]);
        return valid ? null : "must be a lowercase DNS label (a-z, 0-9, '-', starting and ending with a letter or digit)";
    }
}
