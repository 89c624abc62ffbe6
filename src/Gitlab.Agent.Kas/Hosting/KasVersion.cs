using System.Reflection;

namespace Gitlab.Agent.Kas;

/// <summary>The version of this KAS runtime.</summary>
internal static class KasVersion
{
    public static string Current { get; } =
        typeof(KasVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(KasVersion).Assembly.GetName().Version?.ToString(3)
        ?? "0.0.0";

    /// <summary>Parses the major.minor part of versions such as <c>v16.5.0</c>, <c>0.1.0+abc</c>, <c>17.2.0-rc1</c>.</summary>
    public static (int Major, int Minor)? MajorMinor(string? version)
    {
        if (string.IsNullOrWhiteSpace(version))
        {
            return null;
        }

        var v = version.Trim().TrimStart('v', 'V');
        var parts = v.Split('.', 3);
        if (parts.Length < 2 || !int.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var major))
        {
            return null;
        }

        var minorText = new string(parts[1].TakeWhile(char.IsAsciiDigit).ToArray());
        return int.TryParse(minorText, System.Globalization.CultureInfo.InvariantCulture, out var minor) ? (major, minor) : null;
    }
}
