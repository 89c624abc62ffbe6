using System.Reflection;

namespace Gitlab.Agent.Agentk.Hosting;

/// <summary>Version and commit of this build, from the assembly informational version (<c>0.1.0+&lt;commit&gt;</c>).</summary>
internal static class AgentkVersion
{
    static AgentkVersion()
    {
        var informational = typeof(AgentkVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(AgentkVersion).Assembly.GetName().Version?.ToString()
            ?? "0.0.0";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        Version = plus < 0 ? informational : informational[..plus];
        Commit = plus < 0 ? "unknown" : informational[(plus + 1)..];
        UserAgent = $"agentk/{Version}/{Commit}";
    }

    public static string Version { get; }

    public static string Commit { get; }

    public static string UserAgent { get; }
}
