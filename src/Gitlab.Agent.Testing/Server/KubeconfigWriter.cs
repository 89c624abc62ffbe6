using System.Text;

namespace Gitlab.Agent.Testing.Server;

/// <summary>Writes kubeconfig files (one cluster, one token user, one context).</summary>
internal static class KubeconfigWriter
{
    public static string Render(Uri server, string caPem, string userName, string token, string contextName = "test-cluster", string ns = "default")
    {
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(caPem));
        var sb = new StringBuilder();
        sb.Append("apiVersion: v1\n");
        sb.Append("kind: Config\n");
        sb.Append("clusters:\n");
        sb.Append("- name: ").Append(contextName).Append('\n');
        sb.Append("  cluster:\n");
        sb.Append("    server: ").Append(server.GetLeftPart(UriPartial.Authority)).Append('\n');
        if (server.Scheme == "https")
        {
            sb.Append("    certificate-authority-data: ").Append(ca).Append('\n');
        }

        sb.Append("users:\n");
        sb.Append("- name: ").Append(userName).Append('\n');
        sb.Append("  user:\n");
        sb.Append("    token: ").Append(token).Append('\n');
        sb.Append("contexts:\n");
        sb.Append("- name: ").Append(contextName).Append('\n');
        sb.Append("  context:\n");
        sb.Append("    cluster: ").Append(contextName).Append('\n');
        sb.Append("    user: ").Append(userName).Append('\n');
        sb.Append("    namespace: ").Append(ns).Append('\n');
        sb.Append("current-context: ").Append(contextName).Append('\n');
        return sb.ToString();
    }

    public static void Write(string path, string content)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
