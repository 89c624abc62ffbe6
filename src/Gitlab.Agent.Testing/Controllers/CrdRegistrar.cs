using System.Text.Json.Nodes;
using Gitlab.Agent.Testing.Registry;
using Gitlab.Agent.Testing.Storage;

namespace Gitlab.Agent.Testing.Controllers;

/// <summary>Serves (or stops serving) custom resources as their CustomResourceDefinitions are written. Runs under the store lock.</summary>
internal sealed class CrdRegistrar
{
    public const string CrdStorageKey = "apiextensions.k8s.io/customresourcedefinitions";
    private readonly ResourceRegistry _registry;

    public CrdRegistrar(ResourceRegistry registry) => _registry = registry;

    public void OnCommitted(WatchEvent evt)
    {
        if (evt.Object.StorageKey != CrdStorageKey)
        {
            return;
        }

        var crd = evt.Object.Object;
        var storageKey = StorageKeyOf(crd);
        if (evt.Type == WatchEvent.Deleted)
        {
            _registry.ReplaceCustom(storageKey, []);
            return;
        }

        _registry.ReplaceCustom(storageKey, TypesOf(crd));
    }

    public static string StorageKeyOf(JsonObject crd) =>
        (crd["spec"]?["group"]?.GetValue<string>() ?? string.Empty) + "/" + (crd["spec"]?["names"]?["plural"]?.GetValue<string>() ?? string.Empty);

    /// <summary>One ResourceType per served version of the CRD.</summary>
    public static IReadOnlyList<ResourceType> TypesOf(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject;
        var names = spec?["names"] as JsonObject;
        var group = spec?["group"]?.GetValue<string>() ?? string.Empty;
        var kind = names?["kind"]?.GetValue<string>() ?? string.Empty;
        var plural = names?["plural"]?.GetValue<string>() ?? string.Empty;
        var singular = names?["singular"]?.GetValue<string>() ?? kind.ToLowerInvariant();
        var namespaced = spec?["scope"]?.GetValue<string>() != "Cluster";
        var shortNames = Strings(names?["shortNames"]);
        var categories = Strings(names?["categories"]);
        var result = new List<ResourceType>();
        foreach (var version in (spec?["versions"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            if (version["served"]?.GetValue<bool>() == false)
            {
                continue;
            }

            var subresources = version["subresources"] as JsonObject;
            ScaleSpec? scale = null;
            if (subresources?["scale"] is JsonObject sc)
            {
                scale = new ScaleSpec(
                    sc["specReplicasPath"]?.GetValue<string>() ?? ".spec.replicas",
                    sc["statusReplicasPath"]?.GetValue<string>() ?? ".status.replicas",
                    sc["labelSelectorPath"]?.GetValue<string>());
            }

            var fieldSelectors = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var f in (version["selectableFields"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                var path = f["jsonPath"]?.GetValue<string>();
                if (path is not null)
                {
                    fieldSelectors[path.TrimStart('.')] = path;
                }
            }

            var columns = new List<PrinterColumn>();
            foreach (var c in (version["additionalPrinterColumns"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                columns.Add(new PrinterColumn(
                    c["name"]?.GetValue<string>() ?? string.Empty,
                    c["type"]?.GetValue<string>() ?? "string",
                    c["jsonPath"]?.GetValue<string>() ?? string.Empty,
                    (int)(JsonPath.AsLong(c["priority"]) ?? 0),
                    c["description"]?.GetValue<string>() ?? string.Empty,
                    c["format"]?.GetValue<string>() ?? string.Empty));
            }

            var schema = version["schema"]?["openAPIV3Schema"] as JsonObject;
            result.Add(new ResourceType
            {
                Group = group,
                Version = version["name"]?.GetValue<string>() ?? "v1",
                Kind = kind,
                Plural = plural,
                Singular = singular,
                Namespaced = namespaced,
                ShortNames = shortNames,
                Categories = categories,
                HasStatus = subresources?["status"] is not null,
                Scale = scale,
                HasGeneration = true,
                ReturnDeletedObject = true,
                FieldSelectors = fieldSelectors,
                Schema = schema is null ? null : SchemaNode.FromOpenApi(schema, root: true),
                IsCustom = true,
                PrinterColumns = columns,
                OpenApiSchema = schema,
            });
        }

        return result;
    }

    private static string[] Strings(JsonNode? node) =>
        (node as JsonArray)?.Select(n => n?.GetValue<string>()).OfType<string>().ToArray() ?? [];
}
