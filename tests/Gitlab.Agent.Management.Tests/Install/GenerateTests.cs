using System.Text;
using Gitlab.Agent.Agentk;
using Gitlab.Agent.Agentk.Install;
using Gitlab.Agent.Management.Tests.Infrastructure;
using Gitlab.Agent.Testing;
using Gitlab.Agent.TestUtilities;
using k8s;
using Snapshooter.Xunit;

namespace Gitlab.Agent.Management.Tests.Install;

public sealed class GenerateTests
{
    private const string FakeCa = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

    private static (int? Code, string Output, string Error) Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var cli = AgentkCommandLine.Parse(args, _ => null, output, error);
        return (cli.ExitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public void The_generate_subcommand_leaves_the_agent_command_line_working()
    {
        var run = AgentkCommandLine.Parse(["--kas-address", "grpc://127.0.0.1:8150", "--token-file", "/config/token"], _ => null, new StringWriter(), new StringWriter());
        Assert.Null(run.ExitCode);

        var (versionCode, versionOutput, _) = Cli("--version");
        Assert.Equal(0, versionCode);
        Assert.StartsWith("agentk version:", versionOutput);

        var (helpCode, helpOutput, _) = Cli("--help");
        Assert.Equal(0, helpCode);
        Assert.Contains("generate", helpOutput);

        var (badCode, _, badError) = Cli("--no-such-flag");
        Assert.NotEqual(0, badCode);
        Assert.Contains("--no-such-flag", badError);
    }

    [Fact]
    public void Generate_prints_the_stock_deployment()
    {
        var (code, output, error) = Cli("generate", "--agent-token", "glagent-snapshot-token", "--kas-address", "wss://kas.example.com/", "--agent-version", "v17.2.0", "--namespace", "gitlab-agent");

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, error);
        Snapshot.Match(output);
    }

    [Fact]
    public void Generate_with_a_ca_certificate_and_custom_name_mounts_the_ca()
    {
        using var dir = new TempDirectory("generate");
        var caFile = dir.Combine("ca.pem");
        File.WriteAllText(caFile, FakeCa);

        var (code, output, _) = Cli("generate", "--agent-token", "glagent-snapshot-token", "--kas-address", "grpcs://kas.internal:8150",
            "--agent-version", "v17.2.0", "--namespace", "agents", "--name", "prod-agent", "--ca-cert-file", caFile);

        Assert.Equal(0, code);
        Snapshot.Match(output);
    }

    [Theory]
    [InlineData("--kas-address", "https://kas.example.com", "must be a grpc://, grpcs://, ws:// or wss:// URL")]
    [InlineData("--namespace", "Bad_NS", "--namespace 'Bad_NS' must be a lowercase DNS label")]
    [InlineData("--name", "-x", "--name '-x' must be a lowercase DNS label")]
    public void Generate_rejects_bad_options_naming_them(string option, string value, string message)
    {
        var args = new List<string> { "generate", "--agent-token", "glagent-x", "--kas-address", "wss://kas.example.com" };
        var index = args.IndexOf(option);
        if (index >= 0)
        {
            args[index + 1] = value;
        }
        else
        {
            args.AddRange([option, value]);
        }

        var (code, output, error) = Cli([.. args]);

        Assert.Equal(1, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains(message, error);
    }

    [Fact]
    public void Generate_requires_token_and_address_and_a_readable_ca_file()
    {
        var (code, _, error) = Cli("generate");
        Assert.Equal(1, code);
        Assert.Contains("--agent-token is required", error);
        Assert.Contains("--kas-address is required", error);

        var (caCode, _, caError) = Cli("generate", "--agent-token", "glagent-x", "--kas-address", "wss://k", "--ca-cert-file", "/nonexistent/ca.pem");
        Assert.Equal(1, caCode);
        Assert.Contains("--ca-cert-file '/nonexistent/ca.pem'", caError);
    }

    [Fact]
    public async Task Kubectl_applies_the_generated_manifests_and_the_agent_deployment_rolls_out()
    {
        await using var cluster = await KubernetesApiServer.StartAsync();
        var yaml = AgentInstallManifests.Generate(new AgentInstallOptions
        {
            AgentToken = "glagent-applied-token",
            KasAddress = "grpc://kas.example.com:8150",
            AgentVersion = "v17.2.0",
            Namespace = "gitlab-agent",
            CaCertificatePem = cluster.CaCertificatePem,
        });
        using var home = new TempDirectory("kubectl-home");

        var apply = await ProcessRunner.RunAsync("/usr/bin/kubectl",
            ["apply", "-f", "-", "--kubeconfig", cluster.KubeconfigPath, "--cache-dir", home.Combine("cache")], yaml,
            new Dictionary<string, string> { ["HOME"] = home.Path });

        Assert.True(apply.ExitCode == 0, apply.ToString());
        foreach (var created in new[]
        {
            "namespace/gitlab-agent created", "serviceaccount/gitlab-agent created", "secret/gitlab-agent-token created", "configmap/gitlab-agent-ca created",
            "clusterrole.rbac.authorization.k8s.io/gitlab-agent-gitops-read-all created", "clusterrolebinding.rbac.authorization.k8s.io/gitlab-agent-gitops-write-all created",
            "deployment.apps/gitlab-agent created",
        })
        {
            Assert.Contains(created, apply.Stdout);
        }

        var client = cluster.CreateClient();
        var secret = await client.CoreV1.ReadNamespacedSecretAsync("gitlab-agent-token", "gitlab-agent");
        Assert.Equal("glagent-applied-token", Encoding.UTF8.GetString(secret.Data["token"]));
        var ca = await client.CoreV1.ReadNamespacedConfigMapAsync("gitlab-agent-ca", "gitlab-agent");
        Assert.Equal(cluster.CaCertificatePem.ReplaceLineEndings("\n"), ca.Data["ca.crt"]);
        var read = await client.RbacAuthorizationV1.ReadClusterRoleAsync("gitlab-agent-gitops-read-all");
        Assert.Equal(["get", "list", "watch"], read.Rules[0].Verbs);
        var binding = await client.RbacAuthorizationV1.ReadClusterRoleBindingAsync("gitlab-agent-gitops-read-all");
        Assert.Equal(("ServiceAccount", "gitlab-agent", "gitlab-agent"), (binding.Subjects[0].Kind, binding.Subjects[0].Name, binding.Subjects[0].NamespaceProperty));
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync("gitlab-agent", "gitlab-agent");
        var container = deployment.Spec.Template.Spec.Containers[0];
        Assert.Equal(["--token-file=/config/token", "--kas-address", "grpc://kas.example.com:8150", "--observability-listen-address=:8080", "--ca-cert-file=/etc/gitlab-agent/ca/ca.crt"], container.Args);
        Assert.Equal(65532, deployment.Spec.Template.Spec.SecurityContext.RunAsUser);
        Assert.True(deployment.Spec.Template.Spec.SecurityContext.RunAsNonRoot);
        Assert.Equal(["POD_NAMESPACE", "POD_NAME", "SERVICE_ACCOUNT_NAME"], container.Env.Select(e => e.Name));

        // The test cluster's controllers run the deployment: it becomes available like on a real cluster.
        var rollout = await ProcessRunner.RunAsync("/usr/bin/kubectl",
            ["rollout", "status", "deployment/gitlab-agent", "-n", "gitlab-agent", "--timeout=60s", "--kubeconfig", cluster.KubeconfigPath, "--cache-dir", home.Combine("cache")],
            env: new Dictionary<string, string> { ["HOME"] = home.Path });
        Assert.True(rollout.ExitCode == 0, rollout.ToString());

        // Applying again changes nothing.
        var again = await ProcessRunner.RunAsync("/usr/bin/kubectl",
            ["apply", "-f", "-", "--kubeconfig", cluster.KubeconfigPath, "--cache-dir", home.Combine("cache")], yaml,
            new Dictionary<string, string> { ["HOME"] = home.Path });
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("deployment.apps/gitlab-agent unchanged", again.Stdout);
    }
}
