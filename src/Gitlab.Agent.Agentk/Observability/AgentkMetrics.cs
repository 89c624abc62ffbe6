using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Gitlab.Agent.Agentk.Hosting;

namespace Gitlab.Agent.Agentk.Observability;

/// <summary>
/// agentk's own counters, published on the <c>Gitlab.Agent.Agentk</c> meter (for OpenTelemetry users) and rendered in
/// Prometheus text format on <c>/metrics</c> of the observability endpoint.
/// </summary>
internal sealed class AgentkMetrics : IDisposable
{
    public const string MeterName = "Gitlab.Agent.Agentk";

    private readonly Meter _meter;
    private long _configurations;
    private long _connectionFailures;
    private int _connected;
    private int _configured;

    public AgentkMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(new MeterOptions(MeterName));
        _meter.CreateObservableCounter("agentk.configuration.updates", () => Interlocked.Read(ref _configurations), description: "Agent configurations received from KAS");
        _meter.CreateObservableCounter("agentk.kas.connection_failures", () => Interlocked.Read(ref _connectionFailures), description: "Failed configuration calls to KAS");
        _meter.CreateObservableGauge("agentk.kas.connected", () => Volatile.Read(ref _connected), description: "1 while the configuration stream to KAS is open");
    }

    /// <summary>Whether at least one configuration arrived (readiness).</summary>
    public bool HasConfiguration => Volatile.Read(ref _configured) == 1;

    public void CountConfiguration()
    {
        Interlocked.Increment(ref _configurations);
        Volatile.Write(ref _configured, 1);
    }

    public void CountConnectionFailure() => Interlocked.Increment(ref _connectionFailures);

    public void SetConnected(bool connected) => Volatile.Write(ref _connected, connected ? 1 : 0);

    public string RenderPrometheus()
    {
        var text = new StringBuilder();
        Append(text, "agentk_build_info", "gauge", "agentk version and commit", 1, $"{{version=\"{AgentkVersion.Version}\",commit=\"{AgentkVersion.Commit}\"}}");
        Append(text, "agentk_configuration_updates_total", "counter", "Agent configurations received from KAS", Interlocked.Read(ref _configurations));
        Append(text, "agentk_kas_connection_failures_total", "counter", "Failed configuration calls to KAS", Interlocked.Read(ref _connectionFailures));
        Append(text, "agentk_kas_connected", "gauge", "1 while the configuration stream to KAS is open", Volatile.Read(ref _connected));
        return text.ToString();
    }

    private static void Append(StringBuilder text, string name, string type, string help, long value, string labels = "")
    {
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name}{labels} {value}\n");
    }

    public void Dispose() => _meter.Dispose();
}
