using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Gitlab.Agent.Testing.Registry;

/// <summary>
/// Which fields a kind declares. Built from KubernetesClient's model types (their <c>JsonPropertyName</c>
/// attributes) for built-ins, and from a CRD's openAPIV3Schema for custom resources.
/// </summary>
internal sealed class SchemaNode
{
    private static readonly ConcurrentDictionary<Type, SchemaNode> ClrCache = new();

    private SchemaNode(NodeShape shape) => Shape = shape;

    public enum NodeShape
    {
        Any,
        Object,
        Map,
        Array,
    }

    public NodeShape Shape { get; }

    /// <summary>Properties of an object node (filled after construction so recursive types work).</summary>
    public Dictionary<string, SchemaNode> Properties { get; } = new(StringComparer.Ordinal);

    /// <summary>Element node of a map or array.</summary>
    public SchemaNode? Element { get; private set; }

    /// <summary>Go type name used in messages (io.k8s.api.apps.v1.DeploymentSpec).</summary>
    public string? TypeName { get; private set; }

    public static readonly SchemaNode AnyNode = new(NodeShape.Any);

    /// <summary>Schema of a KubernetesClient model type.</summary>
    public static SchemaNode FromClr(Type type)
    {
        if (ClrCache.TryGetValue(type, out var cached))
        {
            return cached;
        }

        if (type.IsGenericType && typeof(IDictionary).IsAssignableFrom(type) || IsGenericOf(type, typeof(IDictionary<,>)))
        {
            var node = new SchemaNode(NodeShape.Map);
            ClrCache[type] = node;
            node.Element = FromClr(type.GetGenericArguments()[1]);
            return node;
        }

        if (type != typeof(string) && type != typeof(byte[]) && type.IsGenericType && IsGenericOf(type, typeof(IEnumerable<>)))
        {
            var node = new SchemaNode(NodeShape.Array);
            ClrCache[type] = node;
            node.Element = FromClr(type.GetGenericArguments()[0]);
            return node;
        }

        if (type.IsClass && type.Namespace == "k8s.Models" && type.GetProperties().Any(p => p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null))
        {
            var node = new SchemaNode(NodeShape.Object) { TypeName = type.Name };
            ClrCache[type] = node;
            foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var attr = p.GetCustomAttribute<JsonPropertyNameAttribute>();
                if (attr is null)
                {
                    continue;
                }

                node.Properties[attr.Name] = FromClr(p.PropertyType);
            }

            return node;
        }

        ClrCache[type] = AnyNode;
        return AnyNode;
    }

    private static bool IsGenericOf(Type type, Type open) =>
        (type.IsGenericType && type.GetGenericTypeDefinition() == open) ||
        type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == open);

    /// <summary>Schema from an OpenAPI v3 (structural) schema, as CRDs declare it.</summary>
    public static SchemaNode FromOpenApi(JsonObject? schema, bool root = false)
    {
        if (schema is null)
        {
            return AnyNode;
        }

        if (schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true || schema["x-kubernetes-int-or-string"] is not null
            || schema["x-kubernetes-embedded-resource"]?.GetValue<bool>() == true)
        {
            return AnyNode;
        }

        var type = schema["type"]?.GetValue<string>();
        if (type == "array")
        {
            var node = new SchemaNode(NodeShape.Array) { Element = FromOpenApi(schema["items"] as JsonObject) };
            return node;
        }

        if (type == "object" || schema["properties"] is not null || root)
        {
            if (schema["properties"] is JsonObject props)
            {
                var node = new SchemaNode(NodeShape.Object);
                foreach (var (name, value) in props)
                {
                    node.Properties[name] = FromOpenApi(value as JsonObject);
                }

                if (root)
                {
                    node.Properties.TryAdd("apiVersion", AnyNode);
                    node.Properties.TryAdd("kind", AnyNode);
                    node.Properties["metadata"] = FromClr(typeof(k8s.Models.V1ObjectMeta));
                }

                return node;
            }

            if (schema["additionalProperties"] is JsonObject ap)
            {
                return new SchemaNode(NodeShape.Map) { Element = FromOpenApi(ap) };
            }

            if (root)
            {
                var node = new SchemaNode(NodeShape.Object);
                node.Properties["apiVersion"] = AnyNode;
                node.Properties["kind"] = AnyNode;
                node.Properties["metadata"] = FromClr(typeof(k8s.Models.V1ObjectMeta));
                return node;
            }

            return AnyNode;
        }

        return AnyNode;
    }

    /// <summary>Collects the paths of undeclared fields (Go strict-decoding style, <c>spec.containers[0].foo</c>).</summary>
    public void CollectUnknown(JsonNode? node, string path, List<UnknownField> unknown) => CollectUnknown(node, path, [], unknown);

    /// <summary>
    /// Walks <paramref name="node"/> keeping the way down in <paramref name="trail"/>; path strings are only built
    /// for the (rare) undeclared fields.
    /// </summary>
    private void CollectUnknown(JsonNode? node, string path, List<TrailStep> trail, List<UnknownField> unknown)
    {
        switch (Shape)
        {
            case NodeShape.Object when node is JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    trail.Add(new TrailStep(TrailKind.Field, key, 0, null));
                    if (!Properties.TryGetValue(key, out var child))
                    {
                        unknown.Add(new UnknownField(TrailStep.PlainPath(path, trail), TrailStep.SsaPath(trail), key, TypeName));
                    }
                    else
                    {
                        child.CollectUnknown(value, path, trail, unknown);
                    }

                    trail.RemoveAt(trail.Count - 1);
                }

                break;
            case NodeShape.Map when node is JsonObject map:
                foreach (var (key, value) in map)
                {
                    trail.Add(new TrailStep(TrailKind.MapKey, key, 0, null));
                    Element!.CollectUnknown(value, path, trail, unknown);
                    trail.RemoveAt(trail.Count - 1);
                }

                break;
            case NodeShape.Array when node is JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var item = array[i];
                    var itemName = item is JsonObject o && o["name"] is JsonValue v && v.TryGetValue<string>(out var n) ? n : null;
                    trail.Add(new TrailStep(TrailKind.Item, string.Empty, i, itemName));
                    Element!.CollectUnknown(item, path, trail, unknown);
                    trail.RemoveAt(trail.Count - 1);
                }

                break;
        }
    }

    private enum TrailKind
    {
        Field,
        MapKey,
        Item,
    }

    /// <summary>One step from the root towards a field: an object field, a map key or a list item.</summary>
    private readonly record struct TrailStep(TrailKind Kind, string Key, int Index, string? ItemName)
    {
        /// <summary>Go strict-decoding path: <c>spec.containers[0].foo</c>, after <paramref name="start"/>.</summary>
        public static string PlainPath(string start, List<TrailStep> trail)
        {
            var path = start;
            foreach (var step in trail)
            {
                path = step.Kind switch
                {
                    TrailKind.Field => path.Length == 0 ? step.Key : path + "." + step.Key,
                    TrailKind.MapKey => path + "." + step.Key,
                    _ => path + "[" + step.Index.ToString(CultureInfo.InvariantCulture) + "]",
                };
            }

            return path;
        }

        /// <summary>structured-merge-diff path: <c>.spec.containers[name="app"].foo</c>.</summary>
        public static string SsaPath(List<TrailStep> trail)
        {
            var path = string.Empty;
            foreach (var step in trail)
            {
                path = step.Kind switch
                {
                    TrailKind.Field or TrailKind.MapKey => path + "." + step.Key,
                    _ => path + (step.ItemName is not null ? $"[name=\"{step.ItemName}\"]" : "[" + step.Index.ToString(CultureInfo.InvariantCulture) + "]"),
                };
            }

            return path;
        }
    }

    /// <summary>Removes undeclared fields in place.</summary>
    public void Prune(JsonNode? node)
    {
        switch (Shape)
        {
            case NodeShape.Object when node is JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (!Properties.TryGetValue(key, out var child))
                    {
                        obj.Remove(key);
                    }
                    else
                    {
                        child.Prune(obj[key]);
                    }
                }

                break;
            case NodeShape.Map when node is JsonObject map:
                foreach (var (_, value) in map)
                {
                    Element!.Prune(value);
                }

                break;
            case NodeShape.Array when node is JsonArray array:
                foreach (var item in array)
                {
                    Element!.Prune(item);
                }

                break;
        }
    }
}

/// <summary>An undeclared field: its dotted path, its own name and the Go type it was found in.</summary>
internal sealed record UnknownField(string Path, string SsaPath, string Name, string? ParentType);
