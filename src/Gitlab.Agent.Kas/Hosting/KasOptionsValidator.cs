using Gitlab.Agent.Config;
using Gitlab.Agent.Protocol.KasCfg;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Kas;

/// <summary>
/// Validates <see cref="KasOptions"/> on start with <see cref="KasConfigurationFile.Validate"/> plus the checks of this
/// runtime (addresses Kestrel can bind, features not available here); every problem names its configuration key.
/// </summary>
internal sealed class KasOptionsValidator : IValidateOptions<KasOptions>
{
    public ValidateOptionsResult Validate(string? name, KasOptions options)
    {
        var errors = new List<string>();
        if (options.Configuration is null)
        {
            return ValidateOptionsResult.Fail("KasOptions.Configuration must be set");
        }

        errors.AddRange(KasConfigurationFile.Validate(options.Configuration));
        var settings = new KasRuntimeSettings(options);
        foreach (var listener in settings.Listeners)
        {
            var key = KasKestrelSetup.KeyOf(listener.Listener);
            if (string.Equals(listener.Network, "unix", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!string.Equals(listener.Network, "tcp", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{key}.network '{listener.Network}' must be tcp or unix");
                continue;
            }

            try
            {
                KasKestrelSetup.ParseAddress(listener);
            }
            catch (InvalidOperationException ex) when (!errors.Any(e => e.StartsWith(key + ".address", StringComparison.Ordinal)))
            {
                errors.Add(ex.Message);
            }
            catch (InvalidOperationException)
            {
                // Already reported by the configuration validator.
            }
        }

        if (options.Configuration.Registry?.StoreCase == RegistryCF.StoreOneofCase.Postgres)
        {
            errors.Add("registry.postgres: the PostgreSQL registry is not available in this build; use registry.sqlite");
        }

        if (settings.UrlTemplate is { } template && !template.Contains("{project}", StringComparison.Ordinal))
        {
            errors.Add($"repositories.url_template '{template}' must contain the {{project}} placeholder");
        }

        if (options.GitlabInternalApiUrl is { IsAbsoluteUri: false } or { Scheme: not ("http" or "https") })
        {
            errors.Add($"KasOptions.GitlabInternalApiUrl '{options.GitlabInternalApiUrl}' must be an absolute http(s) URL");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
