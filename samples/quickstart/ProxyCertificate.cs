using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Quickstart;

/// <summary>
/// A local CA and a certificate for 127.0.0.1/localhost, for the KAS Kubernetes API proxy listener: kubectl sends
/// bearer tokens only over TLS. Kept in <c>&lt;state&gt;/tls</c> and renewed when less than a week is left.
/// </summary>
public static class ProxyCertificate
{
    public sealed record Files(string CaFile, string CertificateFile, string KeyFile);

    public static Files Ensure(string stateDirectory)
    {
        var dir = Path.Combine(stateDirectory, "tls");
        var files = new Files(Path.Combine(dir, "ca.crt"), Path.Combine(dir, "kas-proxy.crt"), Path.Combine(dir, "kas-proxy.key"));
        if (File.Exists(files.CaFile) && File.Exists(files.KeyFile) && File.Exists(files.CertificateFile)
            && X509CertificateLoader.LoadCertificateFromFile(files.CertificateFile).NotAfter > DateTime.Now.AddDays(7))
        {
            return files;
        }

        Directory.CreateDirectory(dir);
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=gitlab-agent quickstart CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(5));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var certificate = request.Create(ca, now.AddMinutes(-5), now.AddYears(1), RandomNumberGenerator.GetBytes(16));

        File.WriteAllText(files.CaFile, ca.ExportCertificatePem() + "\n");
        File.WriteAllText(files.CertificateFile, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(files.KeyFile, key.ExportPkcs8PrivateKeyPem() + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(files.KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return files;
    }
}
