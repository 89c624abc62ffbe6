// A standalone Kubernetes API server for trying manifests with kubectl:
//   dotnet run --project samples/test-cluster -- --kubeconfig /tmp/kubeconfig [--rbac] [--state state.json]
// Prints "ready" once serving; stops on Ctrl+C or SIGTERM.
using System.Runtime.InteropServices;
using Gitlab.Agent.Testing;

var options = new KubernetesApiServerOptions { KubeconfigPath = Path.GetFullPath("kubeconfig") };
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--kubeconfig" when i + 1 < args.Length: options.KubeconfigPath = Path.GetFullPath(args[++i]); break;
        case "--state" when i + 1 < args.Length: options.PersistencePath = Path.GetFullPath(args[++i]); break;
        case "--rbac": options.EnableRbac = true; break;
        default: Console.Error.WriteLine($"unknown argument: {args[i]}"); return 2;
    }
}

using var stop = new CancellationTokenSource();
// Handle the signals ourselves so the server is disposed before the process exits.
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

await using var cluster = await KubernetesApiServer.StartAsync(options);
Console.WriteLine($"serving {cluster.BaseAddress} (kubeconfig {cluster.KubeconfigPath})");
Console.WriteLine("ready");
try { await Task.Delay(Timeout.Infinite, stop.Token); } catch (OperationCanceledException) { }
return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
