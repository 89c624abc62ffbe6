using LibGit2Sharp;

namespace Quickstart;

/// <summary>The local bare repository of the demo project: agent configuration plus an nginx example.</summary>
public static class DemoRepository
{
    public static string ConfigFile(string agentName) => $".gitlab/agents/{agentName}/config.yaml";

    public static string AgentConfiguration(string projectPath) => $$"""
        # Agent configuration (https://docs.gitlab.com/user/clusters/agent/gitops/).
        # GitOps: apply every YAML file under manifests/ of this project.
        gitops:
          manifest_projects:
          - id: {{projectPath}}
            default_namespace: demo
            paths:
            - glob: 'manifests/**/*.yaml'
        # kubectl through KAS for Developers of this project (Bearer pat:<agent id>:<personal access token>).
        user_access:
          access_as:
            agent: {}
          projects:
          - id: {{projectPath}}
        """ + "\n";

    public const string NginxManifest = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: demo
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: nginx
          namespace: demo
          labels:
            app: nginx
        spec:
          replicas: 2
          selector:
            matchLabels:
              app: nginx
          template:
            metadata:
              labels:
                app: nginx
            spec:
              containers:
              - name: nginx
                image: nginx:1.27-alpine
                ports:
                - containerPort: 80
                resources:
                  requests:
                    cpu: 10m
                    memory: 32Mi
        """ + "\n";

    /// <summary>Creates the repository with the example commit unless it exists. Returns whether it was created.</summary>
    public static bool EnsureCreated(string bareRepositoryPath, string projectPath, string agentName)
    {
        if (Repository.IsValid(bareRepositoryPath))
        {
            return false;
        }

        Directory.CreateDirectory(bareRepositoryPath);
        Repository.Init(bareRepositoryPath, isBare: true);
        using var repo = new Repository(bareRepositoryPath);
        var tree = new TreeDefinition();
        tree.Add(ConfigFile(agentName), repo.ObjectDatabase.CreateBlob(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(AgentConfiguration(projectPath)))), Mode.NonExecutableFile);
        tree.Add("manifests/nginx.yaml", repo.ObjectDatabase.CreateBlob(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(NginxManifest))), Mode.NonExecutableFile);
        var signature = new Signature("Quickstart", "quickstart@example.invalid", DateTimeOffset.Now);
        var commit = repo.ObjectDatabase.CreateCommit(signature, signature, "Add the quickstart agent and an nginx deployment\n",
            repo.ObjectDatabase.CreateTree(tree), [], prettifyMessage: false);
        repo.Refs.Add("refs/heads/main", commit.Id);
        repo.Refs.UpdateTarget("HEAD", "refs/heads/main");
        return true;
    }

    /// <summary>
    /// Installs a post-receive hook that tells KAS about pushes at once (<c>POST /-/refresh/&lt;project&gt;</c>); KAS also
    /// polls the repositories every few seconds, so the hook only saves time.
    /// </summary>
    public static void InstallHook(string bareRepositoryPath, Uri apiAddress, string projectPath)
    {
        var hook = Path.Combine(bareRepositoryPath, "hooks", "post-receive");
        Directory.CreateDirectory(Path.GetDirectoryName(hook)!);
        File.WriteAllText(hook, $"""
            #!/bin/sh
            # Written by the quickstart: tell KAS about the push at once (it polls anyway).
            curl -fsS -X POST "{apiAddress.ToString().TrimEnd('/')}/-/refresh/{projectPath}" >/dev/null 2>&1 || true
            """ + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        }
    }
}
