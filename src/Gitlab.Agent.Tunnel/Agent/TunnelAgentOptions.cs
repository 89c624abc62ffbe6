using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Tunnel.Agent;

/// <summary>agentk's pool of reverse tunnel streams to KAS.</summary>
public sealed class TunnelAgentOptions
{
    /// <summary>Idle streams kept open and waiting for requests (default 2).</summary>
    public int MinIdleConnections { get; set; } = 2;

    /// <summary>Upper bound of open streams, idle and busy (default 500).</summary>
    public int MaxConnections { get; set; } = 500;

    /// <summary>How many streams are added at once when the idle count drops below the minimum (default 10).</summary>
    public int ScaleUpStep { get; set; } = 10;

    /// <summary>An idle stream above the minimum is closed after this long (default 1 min).</summary>
    public TimeSpan MaxIdleTime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>First reconnect delay after a failure (default 1 s).</summary>
    public TimeSpan BackoffInitial { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest reconnect delay (default 20 s).</summary>
    public TimeSpan BackoffMax { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Growth factor of the reconnect delay (default 1.6).</summary>
    public double BackoffFactor { get; set; } = 1.6;

    /// <summary>Random spread of each delay, as a fraction (default 0.2).</summary>
    public double BackoffJitter { get; set; } = 0.2;

    /// <summary>A stream that stayed up this long resets the backoff (default 25 s).</summary>
    public TimeSpan BackoffResetAfter { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>
    /// Gzip the frames agentk sends through tunnels (default <see langword="false"/>). agentk's other calls to KAS are
    /// always gzipped, as GitLab's agent does; tunnel frames carry the cluster's answers, which the API server already
    /// compresses for clients that ask for it (kubectl does), so gzipping them again costs CPU on both ends for little
    /// gain. Turn it on for a slow link to KAS when clients fetch large uncompressed answers.
    /// </summary>
    public bool CompressFrames { get; set; }
}

internal sealed class TunnelAgentOptionsValidator : IValidateOptions<TunnelAgentOptions>
{
    public ValidateOptionsResult Validate(string? name, TunnelAgentOptions options)
    {
        var errors = new List<string>();
        if (options.MinIdleConnections < 1)
        {
            errors.Add($"{nameof(TunnelAgentOptions)}.{nameof(options.MinIdleConnections)} must be at least 1 (got {options.MinIdleConnections}).");
        }

        if (options.MaxConnections < options.MinIdleConnections)
        {
            errors.Add($"{nameof(TunnelAgentOptions)}.{nameof(options.MaxConnections)} ({options.MaxConnections}) must be at least {nameof(options.MinIdleConnections)} ({options.MinIdleConnections}).");
        }

        if (options.ScaleUpStep < 1)
        {
            errors.Add($"{nameof(TunnelAgentOptions)}.{nameof(options.ScaleUpStep)} must be at least 1 (got {options.ScaleUpStep}).");
        }

        if (options.MaxIdleTime <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(TunnelAgentOptions)}.{nameof(options.MaxIdleTime)} must be positive (got {options.MaxIdleTime}).");
        }

        if (options.BackoffInitial <= TimeSpan.Zero || options.BackoffMax < options.BackoffInitial)
        {
            errors.Add($"{nameof(TunnelAgentOptions)}: need 0 < {nameof(options.BackoffInitial)} ({options.BackoffInitial}) <= {nameof(options.BackoffMax)} ({options.BackoffMax}).");
        }

        if (options.BackoffFactor < 1 || options.BackoffJitter is < 0 or >= 1)
        {
            errors.Add($"{nameof(TunnelAgentOptions)}: {nameof(options.BackoffFactor)} must be >= 1 and {nameof(options.BackoffJitter)} in [0, 1) (got {options.BackoffFactor}, {options.BackoffJitter}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
