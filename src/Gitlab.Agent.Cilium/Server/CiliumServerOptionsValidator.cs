using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Cilium.Server;

/// <summary>Validates <see cref="CiliumServerOptions"/> on start.</summary>
internal sealed class CiliumServerOptionsValidator : IValidateOptions<CiliumServerOptions>
{
    public ValidateOptionsResult Validate(string? name, CiliumServerOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (options.MaxRequestBytes <= 0)
        {
            builder.AddError($"Cilium: {nameof(options.MaxRequestBytes)} must be positive, got {options.MaxRequestBytes}");
        }

        if (string.IsNullOrWhiteSpace(options.DatabasePath))
        {
            builder.AddError($"Cilium: {nameof(options.DatabasePath)} is required");
        }

        if (options.MaxAlertsPerAgent <= 0)
        {
            builder.AddError($"Cilium: {nameof(options.MaxAlertsPerAgent)} must be positive, got {options.MaxAlertsPerAgent}");
        }

        if (options.GitlabAddress is { } address)
        {
            if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
            {
                builder.AddError($"Cilium: {nameof(options.GitlabAddress)} must be an absolute http:// or https:// URL, got \"{address}\"");
            }

            if (string.IsNullOrWhiteSpace(options.GitlabApiSecret))
            {
                builder.AddError($"Cilium: {nameof(options.GitlabApiSecret)} is required when {nameof(options.GitlabAddress)} is set");
            }
            else if (!IsBase64(options.GitlabApiSecret))
            {
                builder.AddError($"Cilium: {nameof(options.GitlabApiSecret)} must be base64");
            }
        }

        if (options.GitlabTimeout <= TimeSpan.Zero)
        {
            builder.AddError($"Cilium: {nameof(options.GitlabTimeout)} must be positive, got {options.GitlabTimeout}");
        }

        return builder.Build();
    }

    private static bool IsBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text.Trim(), buffer, out var written) && written > 0;
    }
}
