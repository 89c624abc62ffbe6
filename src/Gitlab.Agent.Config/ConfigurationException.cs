namespace Gitlab.Agent.Config;

/// <summary>
/// A configuration file is invalid. <see cref="Exception.Message"/> lists every error, one per line, formatted as
/// <c>file:line:column: path: message</c>.
/// </summary>
public sealed class ConfigurationException : Exception
{
    /// <summary>Creates an exception for the given errors.</summary>
    /// <param name="errors">At least one error.</param>
    public ConfigurationException(IReadOnlyList<ConfigurationError> errors)
        : this(errors, 0)
    {
    }

    internal ConfigurationException(IReadOnlyList<ConfigurationError> errors, int omitted)
        : base(FormatMessage(errors, omitted))
    {
        Errors = errors;
        Omitted = omitted;
    }

    /// <summary>The errors found (at most 50 per file; see <see cref="Omitted"/>).</summary>
    public IReadOnlyList<ConfigurationError> Errors { get; }

    /// <summary>How many further errors were found but not kept.</summary>
    public int Omitted { get; }

    private static string FormatMessage(IReadOnlyList<ConfigurationError> errors, int omitted)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var message = string.Join('\n', errors);
        return omitted > 0 ? $"{message}\n({omitted} more errors not shown)" : message;
    }
}
