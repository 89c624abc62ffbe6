using Gitlab.Agent.Cilium.Server;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Cilium.Tests.Infrastructure;

/// <summary>A KAS-side handler with a SQLite store in a temporary directory.</summary>
internal sealed class ServerFixture : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cilium-tests-" + Guid.NewGuid().ToString("N"));

    public ServerFixture(Action<CiliumServerOptions>? configure = null, TimeProvider? time = null, HttpClient? http = null)
    {
        Options = new CiliumServerOptions { DatabasePath = Path.Combine(_directory, "alerts.db") };
        configure?.Invoke(Options);
        var options = Microsoft.Extensions.Options.Options.Create(Options);
        Store = new SqliteCiliumAlertStore(options);
        Forwarder = new GitlabAlertForwarder(http ?? new HttpClient(), options, time ?? TimeProvider.System, NullLogger<GitlabAlertForwarder>.Instance);
        Handler = new CiliumAlertRequestHandler(Store, Forwarder, options, time ?? TimeProvider.System, NullLogger<CiliumAlertRequestHandler>.Instance);
    }

    public CiliumServerOptions Options { get; }

    public SqliteCiliumAlertStore Store { get; }

    public GitlabAlertForwarder Forwarder { get; }

    public CiliumAlertRequestHandler Handler { get; }

    public void Dispose()
    {
        Store.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
