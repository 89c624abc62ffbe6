using System.CommandLine;

namespace Gitlab.Agent.Agentk.Install;

/// <summary><c>agentk generate</c>: prints the install manifests for an agent token (see <see cref="AgentInstallManifests"/>).</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var token = new Option<string?>("--agent-token") { Description = "The agent token (glagent-…) (required)", HelpName = "token" };
        var kasAddress = new Option<string?>("--kas-address") { Description = "KAS address the agent dials, e.g. wss://kas.example.com (required)", HelpName = "url" };
        var version = new Option<string?>("--agent-version") { Description = "agentk image tag (default: this agentk's version)", HelpName = "version" };
        var image = new Option<string?>("--image") { Description = "Full agentk image reference (overrides the repository and --agent-version)", HelpName = "image" };
        var ns = new Option<string>("--namespace") { Description = "Namespace to install into", DefaultValueFactory = _ => "gitlab-agent", HelpName = "namespace" };
        var name = new Option<string>("--name") { Description = "Base name of the created objects", DefaultValueFactory = _ => "gitlab-agent", HelpName = "name" };
        var caCertFile = new Option<string?>("--ca-cert-file") { Description = "PEM file with the CA of KAS's TLS certificate (mounted and passed as --ca-cert-file)", HelpName = "file" };
        var noClusterAccess = new Option<bool>("--no-cluster-wide-access") { Description = "Do not create the gitops-read-all / gitops-write-all ClusterRoles and bindings" };
        var command = new Command("generate", "Print the Kubernetes manifests that install agentk (kubectl apply -f -)")
        {
            token, kasAddress, version, image, ns, name, caCertFile, noClusterAccess,
        };
        command.SetAction(async (pr, cancellationToken) =>
        {
            var error = pr.InvocationConfiguration.Error;
            var options = new AgentInstallOptions
            {
                AgentToken = pr.GetValue(token) ?? string.Empty,
                KasAddress = pr.GetValue(kasAddress) ?? string.Empty,
                Image = pr.GetValue(image),
                Namespace = pr.GetValue(ns)!,
                Name = pr.GetValue(name)!,
                ClusterWideAccess = !pr.GetValue(noClusterAccess),
            };
            if (pr.GetValue(version) is { } v)
            {
                options.AgentVersion = v;
            }

            if (pr.GetValue(caCertFile) is { } caFile)
            {
                try
                {
                    options.CaCertificatePem = await File.ReadAllTextAsync(caFile, cancellationToken);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    await error.WriteLineAsync($"error: --ca-cert-file '{caFile}': {ex.Message}");
                    return 1;
                }
            }

            var problems = AgentInstallManifests.Validate(options);
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    await error.WriteLineAsync("error: " + problem);
                }

                return 1;
            }

            await pr.InvocationConfiguration.Output.WriteAsync(AgentInstallManifests.Generate(options));
            return 0;
        });
        return command;
    }
}
