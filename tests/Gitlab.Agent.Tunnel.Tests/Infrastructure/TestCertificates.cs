using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gitlab.Agent.Tunnel.Tests.Infrastructure;

/// <summary>A throw-away CA and a server certificate for 127.0.0.1/localhost signed by it.</summary>
public sealed class TestCertificates : IDisposable
{
    private static readonly Lazy<TestCertificates> s_shared = new(() => new TestCertificates());

    public static TestCertificates Shared => s_shared.Value;

    public TestCertificates()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=gitlab-agent-tunnel-tests-ca", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));

        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        using var signed = request.Create(Ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddMonths(6), serial);
        // Kestrel on Linux wants an exportable key with the certificate.
        Server = X509CertificateLoader.LoadPkcs12(signed.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
        CaPem = Ca.ExportCertificatePem();
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "gitlab-agent-tunnel-tests"));
        CaFile = Path.Combine(Path.GetTempPath(), "gitlab-agent-tunnel-tests", $"ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(CaFile, CaPem);
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Server { get; }

    public string CaPem { get; }

    public string CaFile { get; }

    public void Dispose()
    {
        Ca.Dispose();
        Server.Dispose();
        try
        {
            File.Delete(CaFile);
        }
        catch (IOException)
        {
        }
    }
}
