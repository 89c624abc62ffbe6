using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Cilium.Agent;

/// <summary>Validates <see cref="CiliumAgentOptions"/> on start.</summary>
internal sealed class CiliumAgentOptionsValidator : IValidateOptions<CiliumAgentOptions>
{
    public ValidateOptionsResult Validate(string? name, CiliumAgentOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        Positive(builder, options.ReconnectInitialDelay, nameof(options.ReconnectInitialDelay));
        Positive(builder, options.ReconnectMaxDelay, nameof(options.ReconnectMaxDelay));
        if (options.ReconnectMaxDelay < options.ReconnectInitialDelay)
        {
            builder.AddError($"Cilium: {nameof(options.ReconnectMaxDelay)} ({options.ReconnectMaxDelay}) must not be less than {nameof(options.ReconnectInitialDelay)} ({options.ReconnectInitialDelay})");
        }

        if (options.ReconnectJitter is < 0 or > 1 || double.IsNaN(options.ReconnectJitter))
        {
            builder.AddError($"Cilium: {nameof(options.ReconnectJitter)} must be between 0 and 1, got {options.ReconnectJitter}");
        }

        Positive(builder, options.ResumeDeduplicationCapacity, nameof(options.ResumeDeduplicationCapacity));
        Positive(builder, options.AggregationWindow, nameof(options.AggregationWindow));
        Positive(builder, options.FlushInterval, nameof(options.FlushInterval));
        Positive(builder, options.MaxPendingAlerts, nameof(options.MaxPendingAlerts));
        Positive(builder, options.AlertBurstPerPolicy, nameof(options.AlertBurstPerPolicy));
        if (!(options.AlertsPerMinutePerPolicy > 0) || double.IsInfinity(options.AlertsPerMinutePerPolicy))
        {
            builder.AddError($"Cilium: {nameof(options.AlertsPerMinutePerPolicy)} must be a positive number, got {options.AlertsPerMinutePerPolicy}");
        }

        Positive(builder, options.DeliveryQueueCapacity, nameof(options.DeliveryQueueCapacity));
        Positive(builder, options.DeliveryRetryInitialDelay, nameof(options.DeliveryRetryInitialDelay));
        Positive(builder, options.DeliveryRetryMaxDelay, nameof(options.DeliveryRetryMaxDelay));
        if (options.DeliveryRetryMaxDelay < options.DeliveryRetryInitialDelay)
        {
            builder.AddError($"Cilium: {nameof(options.DeliveryRetryMaxDelay)} ({options.DeliveryRetryMaxDelay}) must not be less than {nameof(options.DeliveryRetryInitialDelay)} ({options.DeliveryRetryInitialDelay})");
        }

        Positive(builder, options.DeliveryTimeout, nameof(options.DeliveryTimeout));
        Positive(builder, options.PolicyRelistDelay, nameof(options.PolicyRelistDelay));
        if (options.PolicyWatchTimeout < TimeSpan.FromSeconds(1))
        {
            builder.AddError($"Cilium: {nameof(options.PolicyWatchTimeout)} must be at least 1 s, got {options.PolicyWatchTimeout}");
        }

        return builder.Build();
    }

    private static void Positive(ValidateOptionsResultBuilder builder, TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            builder.AddError($"Cilium: {name} must be positive, got {value}");
        }
    }

    private static void Positive(ValidateOptionsResultBuilder builder, int value, string name)
    {
        if (value <= 0)
        {
            builder.AddError($"Cilium: {name} must be positive, got {value}");
        }
    }
}
