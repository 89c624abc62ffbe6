using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Management;

/// <summary>Validates <see cref="ManagementOptions"/> on start.</summary>
internal sealed class ManagementOptionsValidator : IValidateOptions<ManagementOptions>
{
    public ValidateOptionsResult Validate(string? name, ManagementOptions options)
    {
        var errors = new List<string>();
        if (options.UiRefreshInterval < TimeSpan.FromMilliseconds(250) || options.UiRefreshInterval > TimeSpan.FromSeconds(60))
        {
            errors.Add($"ManagementOptions.UiRefreshInterval {options.UiRefreshInterval} must be between 250 ms and 60 s");
        }

        if (options.MaxGraphqlRequestBytes < 1024)
        {
            errors.Add($"ManagementOptions.MaxGraphqlRequestBytes {options.MaxGraphqlRequestBytes} must be at least 1024");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
