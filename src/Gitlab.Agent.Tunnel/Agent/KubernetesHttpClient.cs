using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using k8s;

namespace Gitlab.Agent.Tunnel.Agent;

/// <summary>
/// Sends requests to the cluster's API server with the agent's own credentials (token, token provider, client
/// certificate or basic auth from <see cref="KubernetesClientConfiguration"/>), without timeouts so watches and
/// <c>logs -f</c> can stay open.
/// </summary>
internal sealed class KubernetesHttpClient : IDisposable
{
    private readonly KubernetesClientConfiguration _configuration;
    private readonly HttpMessageInvoker _invoker;

    public KubernetesHttpClient(KubernetesClientConfiguration configuration)
    {
        _configuration = configuration;
        if (string.IsNullOrEmpty(configuration.Host))
        {
            throw new InvalidOperationException("The Kubernetes client configuration has no server address (Host).");
        }

        BaseAddress = new Uri(configuration.Host.TrimEnd('/') + "/");
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
        };

        if (BaseAddress.Scheme == Uri.UriSchemeHttps)
        {
            if (!string.IsNullOrEmpty(configuration.TlsServerName))
            {
                handler.SslOptions.TargetHost = configuration.TlsServerName;
            }

            if (configuration.SkipTlsVerify)
            {
#pragma warning disable CA5359 // insecure-skip-tls-verify is an explicit choice in the agent's kubeconfig.
                handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
            }
            else if (configuration.SslCaCerts is { Count: > 0 } roots)
            {
                handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => ValidateWithRoots(roots, certificate, chain, errors);
            }

            if (!string.IsNullOrEmpty(configuration.ClientCertificateData) || !string.IsNullOrEmpty(configuration.ClientCertificateFilePath))
            {
                handler.SslOptions.ClientCertificates = [LoadClientCertificate(configuration)];
            }
        }

        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    /// <summary>API server address with a trailing slash.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Adds the agent's credentials and sends; the response is returned as soon as its headers arrive.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = await GetAuthorizationAsync(cancellationToken).ConfigureAwait(false);
        return await _invoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _invoker.Dispose();

    private async Task<AuthenticationHeaderValue?> GetAuthorizationAsync(CancellationToken cancellationToken)
    {
        if (_configuration.TokenProvider is { } provider)
        {
            return await provider.GetAuthenticationHeaderAsync(cancellationToken).ConfigureAwait(false);
        }

        if (!string.IsNullOrEmpty(_configuration.AccessToken))
        {
            return new AuthenticationHeaderValue("Bearer", _configuration.AccessToken);
        }

        if (!string.IsNullOrEmpty(_configuration.Username))
        {
            var basic = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{_configuration.Username}:{_configuration.Password}"));
            return new AuthenticationHeaderValue("Basic", basic);
        }

        return null;
    }

    private static X509Certificate2 LoadClientCertificate(KubernetesClientConfiguration c)
    {
        try
        {
            var certPem = !string.IsNullOrEmpty(c.ClientCertificateData)
                ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(c.ClientCertificateData))
                : File.ReadAllText(c.ClientCertificateFilePath);
            var keyPem = !string.IsNullOrEmpty(c.ClientCertificateKeyData)
                ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(c.ClientCertificateKeyData))
                : File.ReadAllText(c.ClientKeyFilePath);
            using var ephemeral = X509Certificate2.CreateFromPem(certPem, keyPem);
            return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is IOException or FormatException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"Cannot load the Kubernetes client certificate of the agent's configuration: {e.Message}", e);
        }
    }

    private static bool ValidateWithRoots(X509Certificate2Collection roots, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return custom.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
