namespace Microsoft.Extensions.Hosting;

/// <summary>Running a KAS host.</summary>
public static class KasHostExtensions
{
    /// <summary>
    /// Runs the host until it stops and returns the process exit code: 0 after a normal shutdown, 1 when a background
    /// loop (a <see cref="BackgroundService"/>, e.g. the repository poller or a feature's loop) failed and stopped the host.
    /// </summary>
    public static async Task<int> RunKasAsync(this IHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        await host.RunAsync(cancellationToken);
        var services = host.Services.GetService(typeof(IEnumerable<IHostedService>)) as IEnumerable<IHostedService> ?? [];
        return services.OfType<BackgroundService>().Any(s => s.ExecuteTask is { IsFaulted: true }) ? 1 : 0;
    }
}
