using System.Reflection;
using Google.Protobuf.Reflection;

namespace Gitlab.Agent.Protocol.Tests;

/// <summary>Every file, service, message and enum compiled into Gitlab.Agent.Protocol, by full name.</summary>
internal static class ProtoDescriptors
{
    public static Assembly Assembly { get; } = typeof(AgentCfg.ConfigurationFile).Assembly;

    /// <summary>Files of the protocol assembly, found through the generated <c>*Reflection.Descriptor</c> properties.</summary>
    public static IReadOnlyDictionary<string, FileDescriptor> Files { get; } = Assembly.GetTypes()
        .Select(t => t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static))
        .Where(p => p?.PropertyType == typeof(FileDescriptor))
        .Select(p => (FileDescriptor)p!.GetValue(null)!)
        .ToDictionary(f => f.Name);

    public static IReadOnlyDictionary<string, ServiceDescriptor> Services { get; } = Files.Values
        .SelectMany(f => f.Services)
        .ToDictionary(s => s.FullName);

    public static IReadOnlyDictionary<string, MessageDescriptor> Messages { get; } = Files.Values
        .SelectMany(f => f.MessageTypes)
        .SelectMany(Flatten)
        .ToDictionary(m => m.FullName);

    public static IReadOnlyDictionary<string, EnumDescriptor> Enums { get; } = Files.Values
        .SelectMany(f => f.EnumTypes.Concat(f.MessageTypes.SelectMany(Flatten).SelectMany(m => m.EnumTypes)))
        .ToDictionary(e => e.FullName);

    /// <summary>
    /// Renders a message's fields as <c>number name type</c> lines: scalar types by proto name, messages and enums by
    /// full name, <c>repeated</c>/<c>optional</c>/<c>map&lt;k,v&gt;</c>, and <c>oneof=&lt;name&gt;</c> for real oneofs.
    /// </summary>
    public static string Render(MessageDescriptor message) =>
        string.Join("; ", message.Fields.InFieldNumberOrder().Select(RenderField));

    private static string RenderField(FieldDescriptor field)
    {
        string type;
        if (field.IsMap)
        {
            type = $"map<{TypeName(field.MessageType.FindFieldByNumber(1))},{TypeName(field.MessageType.FindFieldByNumber(2))}>";
        }
        else
        {
            type = TypeName(field);
            if (field.IsRepeated)
            {
                type = "repeated " + type;
            }
            else if (field.ContainingOneof is { IsSynthetic: true })
            {
                type = "optional " + type;
            }
        }

        var oneof = field.RealContainingOneof is { } o ? $" oneof={o.Name}" : string.Empty;
        return $"{field.FieldNumber} {field.Name} {type}{oneof}";
    }

    private static string TypeName(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.Message => field.MessageType.FullName,
        FieldType.Enum => field.EnumType.FullName,
        _ => field.FieldType.ToString().ToLowerInvariant(),
    };

    private static IEnumerable<MessageDescriptor> Flatten(MessageDescriptor message) =>
        new[] { message }.Concat(message.NestedTypes.SelectMany(Flatten));
}
