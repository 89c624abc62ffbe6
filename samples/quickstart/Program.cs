// The quickstart: KAS, agentk and a Kubernetes test cluster in one process, nothing else to install.
//   dotnet run --project samples/quickstart [-- --state-dir DIR] [--kubeconfig FILE]
// It registers an agent through KAS's GraphQL API, commits an nginx example to a local repository and waits until
// agentk has applied it. Ctrl+C stops; running it again resumes from the state directory. See docs/management.md.
using Quickstart;

var options = new QuickstartOptions();
if (options.Parse(args) is { } error)
{
    Console.Error.WriteLine(error.Length == 0 ? QuickstartOptions.Usage : $"error: {error}\n\n{QuickstartOptions.Usage}");
    return error.Length == 0 ? 0 : 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

return await new QuickstartRunner(options, Console.Out).RunAsync(stop.Token);
