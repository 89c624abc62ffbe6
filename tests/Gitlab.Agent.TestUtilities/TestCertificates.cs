using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gitlab.Agent.TestUtilities;

/// <summary>Self-signed certificates for TLS tests.</summary>
public static class TestCertificates
{
    /// <summary>
    /// Creates a self-signed certificate for <c>localhost</c> and 127.0.0.1 valid for a day, writes it and its key as PEM
    /// files into <paramref name="directory"/> and returns the paths and the certificate.
    /// </summary>
    public static (string CertificateFile, string KeyFile, X509Certificate2 Certificate) CreatePemFiles(string directory, string name = "server")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        Directory.CreateDirectory(directory);
        var certFile = Path.Combine(directory, name + ".crt");
        var keyFile = Path.Combine(directory, name + ".key");
        File.WriteAllText(certFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile, X509CertificateLoader.LoadCertificate(certificate.RawData));
    }

    /// <summary>
    /// True when <paramref name="certificate"/> chains to <paramref name="root"/> (no revocation check): certificate
    /// validation for test clients that trust a test CA.
    /// </summary>
    public static bool ChainsTo(X509Certificate? certificate, X509Certificate2 root)
    {
        if (certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
