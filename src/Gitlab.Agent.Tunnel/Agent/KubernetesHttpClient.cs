using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Gitlab.Agent.Shared;
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
    private readonly RawHttp1Client _raw;
    private readonly X509Certificate2? _clientCertificate;

    public KubernetesHttpClient(KubernetesClientConfiguration configuration)
    {
        _configuration = configuration;
        if (string.IsNullOrEmpty(configuration.Host))
        {
            throw new InvalidOperationException("The Kubernetes client configuration has no server address (Host).");
        }

        BaseAddress = new Uri(configuration.Host.TrimEnd('/') + "/");
        if (BaseAddress.Scheme == Uri.UriSchemeHttps && (!string.IsNullOrEmpty(configuration.ClientCertificateData) || !string.IsNullOrEmpty(configuration.ClientCertificateFilePath)))
        {
            _clientCertificate = LoadClientCertificate(configuration);
        }

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
            handler.SslOptions = CreateTlsOptions();
        }

        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        _raw = new RawHttp1Client(BaseAddress, CreateTlsOptions);
    }

    /// <summary>API server address with a trailing slash.</summary>
    public Uri BaseAddress { get; }

    /// <summary>
    /// Adds the agent's credentials and sends; the response is returned as soon as its headers arrive. Requests that
    /// repeat a header name (several impersonated groups) go over HTTP/1.1 with one line per value.
    /// </summary>
    public async Task<ClusterResponse> SendAsync(ClusterRequest request, CancellationToken cancellationToken)
    {
        var headers = new List<KeyValuePair<string, string>>(request.Headers);
        if (await GetAuthorizationAsync(cancellationToken).ConfigureAwait(false) is { } authorization)
        {
            headers.Add(new("Authorization", authorization.ToString()));
        }

        var withCredentials = request with { Headers = headers };
        var repeated = headers.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase).Any(g => g.Count() > 1);
        return repeated
            ? await _raw.SendAsync(withCredentials, cancellationToken).ConfigureAwait(false)
            : await SendWithHandlerAsync(withCredentials, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _invoker.Dispose();
        _clientCertificate?.Dispose();
    }

    private async Task<ClusterResponse> SendWithHandlerAsync(ClusterRequest request, CancellationToken cancellationToken)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(BaseAddress.GetLeftPart(UriPartial.Authority) + request.PathAndQuery));
        try
        {
            if (request.Upgrade)
            {
                message.Version = HttpVersion.Version11;
                message.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            }
            else
            {
                message.Version = HttpVersion.Version20;
                message.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
            }

            if (request.WriteBody is { } writeBody)
            {
                message.Content = new BodyContent(writeBody, request.ContentLength);
            }

            foreach (var (name, value) in request.Headers)
            {
                if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                {
                    if (message.Content is not null && !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    {
                        message.Content.Headers.TryAddWithoutValidation(name, value);
                    }
                }
                else
                {
                    message.Headers.TryAddWithoutValidation(name, value);
                }
            }

            var response = await _invoker.SendAsync(message, cancellationToken).ConfigureAwait(false);
            var headers = new List<KeyValuePair<string, string>>();
            foreach (var (name, values) in response.Headers.NonValidated)
            {
                foreach (var value in values)
                {
                    headers.Add(new(name, value));
                }
            }

            foreach (var (name, values) in response.Content.Headers.NonValidated)
            {
                foreach (var value in values)
                {
                    headers.Add(new(name, value));
                }
            }

            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new ClusterResponse((int)response.StatusCode, response.ReasonPhrase ?? string.Empty, headers, body, new Owner(response, message));
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    private SslClientAuthenticationOptions CreateTlsOptions()
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = string.IsNullOrEmpty(_configuration.TlsServerName) ? BaseAddress.IdnHost : _configuration.TlsServerName,
        };
        if (_configuration.SkipTlsVerify)
        {
#pragma warning disable CA5359 // insecure-skip-tls-verify is an explicit choice in the agent's kubeconfig.
            options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else if (_configuration.SslCaCerts is { Count: > 0 } roots)
        {
            options.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => ValidateWithRoots(roots, certificate, chain, errors);
        }

        if (_clientCertificate is not null)
        {
            options.ClientCertificates = [_clientCertificate];
        }

        return options;
    }

    private sealed class Owner(HttpResponseMessage response, HttpRequestMessage request) : IDisposable
    {
        public void Dispose()
        {
            response.Dispose();
            request.Dispose();
        }
    }

    private sealed class BodyContent(Func<Stream, CancellationToken, Task> write, long? contentLength) : StreamedContent(owned: null, contentLength)
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) => write(stream, cancellationToken);
    }

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
