using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Agentk.Observability;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Agentk.Hosting;

/// <summary>Validates <see cref="AgentkOptions"/> on start and reports every problem with the flag it comes from.</summary>
internal sealed class AgentkOptionsValidator(IEnumerable<IKasTransport> transports) : IValidateOptions<AgentkOptions>
{
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "authorization", "user-agent", "content-type", "te", "host", "grpc-encoding", "grpc-accept-encoding", "grpc-timeout",
    };

    public ValidateOptionsResult Validate(string? name, AgentkOptions options)
    {
        var errors = new List<string>();
        try
        {
            var address = KasAddress.Parse(options.KasAddress);
            KasAddress.FindTransport(address, transports);
        }
        catch (InvalidOperationException e)
        {
            errors.Add(e.Message);
        }

        try
        {
            AgentToken.Read(options);
        }
        catch (InvalidOperationException e)
        {
            errors.Add(e.Message);
        }

        ValidateCaCertFile(options.CaCertFile, errors);
        foreach (var (headerName, value) in options.KasHeaders)
        {
            if (string.IsNullOrEmpty(headerName) || !headerName.All(IsTokenChar))
            {
                errors.Add($"--kas-header '{headerName}: {value}': '{headerName}' is not a valid header name.");
            }
            else if (ReservedHeaders.Contains(headerName) || headerName.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"--kas-header '{headerName}: {value}': the header '{headerName}' is set by agentk and cannot be overridden.");
            }
            else if (value is null || value.Any(c => c is '\r' or '\n' or '\0'))
            {
                errors.Add($"--kas-header '{headerName}': the value must not contain line breaks.");
            }
        }

        if (!string.IsNullOrEmpty(options.Kubeconfig) && !File.Exists(options.Kubeconfig))
        {
            errors.Add($"--kubeconfig '{options.Kubeconfig}': file not found.");
        }

        if (!string.IsNullOrEmpty(options.ObservabilityListenAddress) && !ObservabilityEndpoint.TryParse(options.ObservabilityListenAddress, out _))
        {
            errors.Add($"--observability-listen-address '{options.ObservabilityListenAddress}' is not 'host:port' or ':port'.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateCaCertFile(string? caCertFile, List<string> errors)
    {
        if (string.IsNullOrEmpty(caCertFile))
        {
            return;
        }

        if (!File.Exists(caCertFile))
        {
            errors.Add($"--ca-cert-file '{caCertFile}': file not found.");
            return;
        }

        try
        {
            if (KasConnection.LoadExtraRoots(caCertFile).Count == 0)
            {
                errors.Add($"--ca-cert-file '{caCertFile}': the file contains no PEM certificate (-----BEGIN CERTIFICATE-----).");
            }
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            errors.Add($"--ca-cert-file '{caCertFile}': cannot load the certificates: {e.Message}");
        }
    }

    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);
}
