using Microsoft.Extensions.Options;

namespace Gitlab.Agent.GitOps.Agent;

internal sealed class GitOpsAgentOptionsValidator : IValidateOptions<GitOpsAgentOptions>
{
    public ValidateOptionsResult Validate(string? name, GitOpsAgentOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (options.ApplyParallelism is < 1 or > 256)
        {
            builder.AddError($"GitOps ApplyParallelism must be between 1 and 256, got {options.ApplyParallelism}.");
        }

        Positive(builder, options.ResyncPeriod, nameof(options.ResyncPeriod));
        Positive(builder, options.RetryInitialBackoff, nameof(options.RetryInitialBackoff));
        Positive(builder, options.EstablishTimeout, nameof(options.EstablishTimeout));
        Positive(builder, options.ReadinessPollInterval, nameof(options.ReadinessPollInterval));
        if (options.RetryMaxBackoff < options.RetryInitialBackoff)
        {
            builder.AddError($"GitOps RetryMaxBackoff ({options.RetryMaxBackoff}) must be at least RetryInitialBackoff ({options.RetryInitialBackoff}).");
        }

        if (options.DriftDebounce < TimeSpan.Zero)
        {
            builder.AddError($"GitOps DriftDebounce must not be negative, got {options.DriftDebounce}.");
        }

        return builder.Build();
    }

    private static void Positive(ValidateOptionsResultBuilder builder, TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            builder.AddError($"GitOps {name} must be positive, got {value}.");
        }
    }
}
