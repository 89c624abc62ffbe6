using System.Globalization;

namespace Gitlab.Agent.Management.Services;

/// <summary>GitLab warns when agentk's major.minor differs from KAS's.</summary>
internal static class VersionComparison
{
    public static bool IsMismatch(string? agentVersion, string kasVersion) =>
        MajorMinor(agentVersion) is { } agent && MajorMinor(kasVersion) is { } kas && agent != kas;

    /// <summary>Parses the major.minor part of <c>v16.5.0</c>, <c>0.1.0+abc</c>, <c>17.2.0-rc1</c>.</summary>
    public static (int Major, int Minor)? MajorMinor(string? version)
    {
        if (string.IsNullOrWhiteSpace(version))
        {
            return null;
        }

        var parts = version.Trim().TrimStart('v', 'V').Split('.', 3);
        if (parts.Length < 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major))
        {
            return null;
        }

        var digits = parts[1].AsSpan();
        var length = 0;
        while (length < digits.Length && char.IsAsciiDigit(digits[length]))
        {
            length++;
        }

        return int.TryParse(digits[..length], NumberStyles.None, CultureInfo.InvariantCulture, out var minor) ? (major, minor) : null;
    }
}
