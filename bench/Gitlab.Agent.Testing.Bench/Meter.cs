using System.Diagnostics;

namespace Gitlab.Agent.Testing.Bench;

/// <summary>A measured rate: operations per wall-clock second and the process CPU time spent per operation.</summary>
/// <param name="PerSecond">Operations per second of wall-clock time.</param>
/// <param name="CpuMicrosPerOp">Process CPU time (all threads: clients, server, GC) per operation, in microseconds.</param>
/// <param name="AllocatedKbPerOp">Managed memory allocated (all threads) per operation, in KiB: deterministic, unlike times.</param>
/// <param name="Count">Number of operations measured.</param>
/// <param name="GcPausePercent">Share of the wall-clock time the process spent paused for garbage collection.</param>
internal readonly record struct Rate(double PerSecond, double CpuMicrosPerOp, double AllocatedKbPerOp, int Count = 0, double GcPausePercent = 0);

/// <summary>Wall-clock and process CPU time of one measured run.</summary>
internal sealed class Meter
{
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly TimeSpan _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly long _allocatedStart = GC.GetTotalAllocatedBytes();
    private readonly TimeSpan _pauseStart = GC.GetTotalPauseDuration();

    public TimeSpan Elapsed => _wall.Elapsed;

    public static Meter Start() => new();

    public Rate Stop(int count)
    {
        var wall = _wall.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - _cpuStart).TotalMicroseconds;
        var allocated = GC.GetTotalAllocatedBytes() - _allocatedStart;
        var pausedPercent = (GC.GetTotalPauseDuration() - _pauseStart).TotalSeconds / wall * 100;

        return count == 0 ? new Rate(0, 0, 0) : new Rate(count / wall, cpu / count, allocated / 1024.0 / count, count, pausedPercent);
    }
}
