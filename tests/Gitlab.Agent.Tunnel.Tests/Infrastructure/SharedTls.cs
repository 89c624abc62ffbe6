using System.Security.Cryptography.X509Certificates;
using Gitlab.Agent.TestUtilities;

namespace Gitlab.Agent.Tunnel.Tests.Infrastructure;

/// <summary>
/// One self-signed certificate for 127.0.0.1/localhost (<see cref="TestCertificates.CreatePemFiles"/>) shared by the
/// tests: KAS serves it, clients trust it as their CA.
/// </summary>
internal static class SharedTls
{
    private static readonly Lazy<(string CertificateFile, X509Certificate2 Server)> s_files = new(() =>
    {
        var directory = Path.Combine(Path.GetTempPath(), "gitlab-agent-tunnel-tests", $"tls-{Guid.NewGuid():N}");
        var (certificateFile, keyFile, _) = TestCertificates.CreatePemFiles(directory);
        using var pem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        // Kestrel on Linux wants the key in a PKCS#12-backed certificate.
        return (certificateFile, X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null));
    });

    /// <summary>The server certificate with its private key.</summary>
    public static X509Certificate2 Server => s_files.Value.Server;

    /// <summary>The certificate to trust (it is its own CA).</summary>
    public static X509Certificate2 Ca { get; } = X509CertificateLoader.LoadCertificate(Server.RawData);

    /// <summary>PEM file of <see cref="Ca"/>.</summary>
    public static string CaFile => s_files.Value.CertificateFile;

    public static string CaPem => File.ReadAllText(CaFile);
}
