namespace Quickstart;

/// <summary>Settings of one quickstart run (command line: <c>--state-dir</c>, <c>--kubeconfig</c>, <c>--api-port</c>, <c>--agent-port</c>).</summary>
public sealed class QuickstartOptions
{
    /// <summary>Where everything is kept between runs: registry, repositories, cluster state, tokens, logs.</summary>
    public string StateDirectory { get; set; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".gitlab-agent-quickstart");

    /// <summary>Drive this cluster instead of the in-process test cluster.</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>KAS API listener port (UI, GraphQL); 0 picks a free one.</summary>
    public int ApiPort { get; set; } = 39153;

    /// <summary>KAS agent listener port; 0 picks a free one.</summary>
    public int AgentPort { get; set; } = 39150;

    /// <summary>KAS Kubernetes API proxy port (kubectl through KAS); 0 picks a free one.</summary>
    public int KubernetesApiPort { get; set; } = 39154;

    /// <summary>Project holding the agent configuration and the manifests.</summary>
    public string ProjectPath { get; set; } = "quickstart/demo";

    /// <summary>Agent name.</summary>
    public string AgentName { get; set; } = "quickstart";

    /// <summary>The user the quickstart creates (Owner of the <c>quickstart</c> group).</summary>
    public string Username { get; set; } = "root";

    /// <summary>How long to wait for agentk to connect and for the manifests to become ready.</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Parses the command line. Returns an error message for unknown or malformed arguments, or <see langword="null"/>.
    /// </summary>
    public string? Parse(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            try
            {
                switch (args[i])
                {
                    case "--state-dir": StateDirectory = Path.GetFullPath(Next()); break;
                    case "--kubeconfig": Kubeconfig = Path.GetFullPath(Next()); break;
                    case "--api-port": ApiPort = Port(Next(), "--api-port"); break;
                    case "--agent-port": AgentPort = Port(Next(), "--agent-port"); break;
                    case "--k8s-proxy-port": KubernetesApiPort = Port(Next(), "--k8s-proxy-port"); break;
                    case "-h" or "--help": return "";
                    default: return $"unknown argument '{args[i]}'";
                }
            }
            catch (ArgumentException ex)
            {
                return ex.Message;
            }
        }

        if (Kubeconfig is not null && !File.Exists(Kubeconfig))
        {
            return $"--kubeconfig '{Kubeconfig}' does not exist";
        }

        return null;
    }

    public const string Usage = """
        Usage: dotnet run --project samples/quickstart [-- options]
          --state-dir DIR     state kept between runs (default ~/.gitlab-agent-quickstart; delete it to start over)
          --kubeconfig FILE   drive a real cluster instead of the in-process test cluster
          --api-port N        KAS API/UI port (default 39153, 0 = any free port)
          --agent-port N      KAS agent port (default 39150, 0 = any free port)
          --k8s-proxy-port N  KAS Kubernetes API proxy port for kubectl (default 39154, 0 = any free port)
        """;

    private static int Port(string text, string option) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? port
            : throw new ArgumentException($"{option} '{text}' must be a port number (0-65535)");
}
