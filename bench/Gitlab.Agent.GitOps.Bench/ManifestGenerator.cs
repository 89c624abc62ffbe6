using System.Globalization;
using System.Text;

namespace Gitlab.Agent.GitOps.Bench;

/// <summary>Generates a manifest set of mixed kinds spread over namespaces, one file per namespace.</summary>
internal static class ManifestGenerator
{
    public static Dictionary<string, string> Generate(int count, int namespaces, string generation = "1")
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var perNamespace = (count - namespaces) / namespaces;
        var written = 0;
        for (var n = 0; n < namespaces; n++)
        {
            var ns = $"bench-{n:00}";
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n");
            written++;
            var items = perNamespace + (n == namespaces - 1 ? (count - namespaces) % namespaces : 0);
            for (var i = 0; i < items; i++)
            {
                text.Append("---\n");
                text.Append((i % 10) switch
                {
                    < 4 => $"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: {ns}\ndata:\n  generation: \"{generation}\"\n  value: \"{i}\"\n",
                    < 6 => $"apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-{i}\n  namespace: {ns}\ntype: Opaque\nstringData:\n  password: \"p{i}\"\n",
                    < 8 => $"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i}\n  namespace: {ns}\nspec:\n  selector:\n    app: app-{i}\n  ports:\n  - port: 80\n    targetPort: 8080\n",
                    8 => $"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-{i}\n  namespace: {ns}\n",
                    _ => $"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deploy-{i}\n  namespace: {ns}\nspec:\n  replicas: 0\n  selector:\n    matchLabels:\n      app: app-{i}\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.27\n",
                });
                written++;
            }

            files[$"{ns}.yaml"] = text.ToString();
        }

        return files;
    }
}
