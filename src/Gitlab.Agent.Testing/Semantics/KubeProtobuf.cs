using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>
/// Decodes the Kubernetes protobuf request envelope (<c>k8s\0</c> + <c>runtime.Unknown</c>) that kubectl ≥ 1.32 sends
/// from its typed clients (<c>create namespace|configmap|secret|deployment|serviceaccount|role…</c>, <c>auth can-i</c>)
/// into the JSON object the same request would have carried. gogo-protobuf writes every non-pointer field, so
/// zero values of such fields are treated as unset. A non-empty field the tables do not know is refused with
/// <see cref="NotSupportedException"/> rather than dropped.
/// </summary>
internal static class KubeProtobuf
{
    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    /// <summary>Whether the body starts with the <c>k8s\0</c> magic.</summary>
    public static bool IsEnvelope(ReadOnlySpan<byte> body) => body.StartsWith(Magic);

    /// <summary>Decodes an envelope into a JSON object with <c>apiVersion</c>, <c>kind</c> and the object's fields.</summary>
    /// <exception cref="FormatException">The bytes are not a valid envelope.</exception>
    /// <exception cref="NotSupportedException">The kind, or one of the fields it sets, is not covered.</exception>
    public static JsonObject DecodeEnvelope(ReadOnlySpan<byte> body)
    {
        if (!IsEnvelope(body))
        {
            throw new FormatException("protobuf: the body does not start with the Kubernetes magic k8s\\0");
        }

        var reader = new ProtoReader(body[Magic.Length..]);
        string apiVersion = "", kind = "", contentEncoding = "", contentType = "";
        ReadOnlySpan<byte> raw = default;
        while (!reader.AtEnd)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case 1 when wireType == 2:
                    var typeMeta = new ProtoReader(reader.ReadBytes());
                    while (!typeMeta.AtEnd)
                    {
                        var (typeField, typeWire) = typeMeta.ReadTag();
                        if (typeField == 1 && typeWire == 2)
                        {
                            apiVersion = Encoding.UTF8.GetString(typeMeta.ReadBytes());
                        }
                        else if (typeField == 2 && typeWire == 2)
                        {
                            kind = Encoding.UTF8.GetString(typeMeta.ReadBytes());
                        }
                        else
                        {
                            typeMeta.SkipAndCheckEmpty(typeWire);
                        }
                    }

                    break;
                case 2 when wireType == 2:
                    raw = reader.ReadBytes();
                    break;
                case 3 when wireType == 2:
                    contentEncoding = Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                case 4 when wireType == 2:
                    contentType = Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                default:
                    reader.SkipAndCheckEmpty(wireType);
                    break;
            }
        }

        if (contentEncoding.Length > 0)
        {
            throw new NotSupportedException($"protobuf: content encoding {GoFormat.Quote(contentEncoding)} of kind {kind} is not supported");
        }

        if (contentType.Length > 0 && contentType != "application/vnd.kubernetes.protobuf")
        {
            throw new NotSupportedException($"protobuf: content type {GoFormat.Quote(contentType)} of kind {kind} is not supported");
        }

        var group = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
        if (!KubeProtoSchemas.Kinds.TryGetValue(group + "/" + kind, out var message))
        {
            throw new NotSupportedException($"protobuf: decoding kind {kind} ({apiVersion}) is not supported by the emulator; send JSON instead");
        }

        var result = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind };
        foreach (var (name, value) in Decode(raw, message, kind, ""))
        {
            result[name] = value?.DeepClone();
        }

        return result;
    }

    private static JsonObject Decode(ReadOnlySpan<byte> data, ProtoMessage message, string kind, string path)
    {
        var obj = new JsonObject();
        var reader = new ProtoReader(data);
        while (!reader.AtEnd)
        {
            var (number, wireType) = reader.ReadTag();
            if (!message.Fields.TryGetValue(number, out var field))
            {
                if (!reader.SkipAndCheckEmpty(wireType))
                {
                    throw new NotSupportedException($"protobuf: field {number} of {message.Name} at {Display(path)} in kind {kind} is not supported by the emulator; send JSON instead");
                }

                continue;
            }

            var fieldPath = path + "." + field.Name;
            var value = ReadValue(ref reader, wireType, field, kind, fieldPath);
            if (field.Repeated)
            {
                if (obj[field.Name] is not JsonArray array)
                {
                    array = [];
                    obj[field.Name] = array;
                }

                array.Add(value ?? Zero(field));
                continue;
            }

            if (field.Kind is ProtoKind.MapString or ProtoKind.MapBytes or ProtoKind.MapQuantity)
            {
                if (value is JsonObject entry)
                {
                    if (obj[field.Name] is not JsonObject map)
                    {
                        map = [];
                        obj[field.Name] = map;
                    }

                    foreach (var (key, entryValue) in entry)
                    {
                        map[key] = entryValue?.DeepClone();
                    }
                }

                continue;
            }

            if (value is not null)
            {
                obj[field.Name] = value;
            }
            else
            {
                obj.Remove(field.Name);
            }
        }

        return obj;
    }

    /// <summary>Reads one value; null means "unset" (a zero value of a non-pointer field).</summary>
    private static JsonNode? ReadValue(ref ProtoReader reader, int wireType, ProtoField field, string kind, string path)
    {
        void Expect(int expected)
        {
            if (wireType != expected)
            {
                throw new FormatException($"protobuf: field {path} of kind {kind} has wire type {wireType}, expected {expected}");
            }
        }

        switch (field.Kind)
        {
            case ProtoKind.String:
                Expect(2);
                var text = Encoding.UTF8.GetString(reader.ReadBytes());
                return text.Length > 0 || field.KeepZero || field.Repeated ? JsonValue.Create(text) : null;
            case ProtoKind.Bytes:
                Expect(2);
                var bytes = reader.ReadBytes();
                return bytes.Length > 0 || field.KeepZero ? JsonValue.Create(Convert.ToBase64String(bytes)) : null;
            case ProtoKind.Int:
                Expect(0);
                var number = (long)reader.ReadVarint();
                if (field.Int32)
                {
                    number = (int)number;
                }

                return number != 0 || field.KeepZero || field.Repeated ? JsonValue.Create(number) : null;
            case ProtoKind.Bool:
                Expect(0);
                var flag = reader.ReadVarint() != 0;
                return flag || field.KeepZero ? JsonValue.Create(flag) : null;
            case ProtoKind.Message:
                Expect(2);
                var nested = Decode(reader.ReadBytes(), field.Message!(), kind, path);
                return nested.Count > 0 || field.KeepZero || field.Repeated ? nested : null;
            case ProtoKind.Time:
                Expect(2);
                return ReadTime(reader.ReadBytes());
            case ProtoKind.Quantity:
                Expect(2);
                return ReadQuantity(reader.ReadBytes());
            case ProtoKind.IntOrString:
                Expect(2);
                return ReadIntOrString(reader.ReadBytes());
            case ProtoKind.MapString or ProtoKind.MapBytes or ProtoKind.MapQuantity:
                Expect(2);
                return ReadMapEntry(reader.ReadBytes(), field.Kind);
            default:
                throw new NotSupportedException($"protobuf: field {path} of kind {kind} has an unsupported type");
        }
    }

    private static JsonNode Zero(ProtoField field) => field.Kind switch
    {
        ProtoKind.Int => JsonValue.Create(0),
        ProtoKind.Bool => JsonValue.Create(false),
        ProtoKind.Message => new JsonObject(),
        _ => JsonValue.Create(""),
    };

    private static JsonObject ReadMapEntry(ReadOnlySpan<byte> data, ProtoKind kind)
    {
        var reader = new ProtoReader(data);
        string key = "";
        JsonNode? value = kind == ProtoKind.MapBytes || kind == ProtoKind.MapString ? JsonValue.Create("") : null;
        while (!reader.AtEnd)
        {
            var (field, wireType) = reader.ReadTag();
            if (field == 1 && wireType == 2)
            {
                key = Encoding.UTF8.GetString(reader.ReadBytes());
            }
            else if (field == 2 && wireType == 2)
            {
                var bytes = reader.ReadBytes();
                value = kind switch
                {
                    ProtoKind.MapBytes => JsonValue.Create(Convert.ToBase64String(bytes)),
                    ProtoKind.MapQuantity => ReadQuantity(bytes),
                    _ => JsonValue.Create(Encoding.UTF8.GetString(bytes)),
                };
            }
            else
            {
                reader.SkipAndCheckEmpty(wireType);
            }
        }

        return new JsonObject { [key] = value };
    }

    private static JsonNode? ReadTime(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        long seconds = 0;
        while (!reader.AtEnd)
        {
            var (field, wireType) = reader.ReadTag();
            if (field == 1 && wireType == 0)
            {
                seconds = (long)reader.ReadVarint();
            }
            else
            {
                reader.SkipAndCheckEmpty(wireType);
            }
        }

        if (seconds == 0)
        {
            return null;
        }

        return DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    private static JsonNode? ReadQuantity(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        string? text = null;
        while (!reader.AtEnd)
        {
            var (field, wireType) = reader.ReadTag();
            if (field == 1 && wireType == 2)
            {
                text = Encoding.UTF8.GetString(reader.ReadBytes());
            }
            else
            {
                reader.SkipAndCheckEmpty(wireType);
            }
        }

        return string.IsNullOrEmpty(text) ? null : JsonValue.Create(text);
    }

    private static JsonNode? ReadIntOrString(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        long type = 0, intValue = 0;
        var stringValue = "";
        while (!reader.AtEnd)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case 1 when wireType == 0:
                    type = (long)reader.ReadVarint();
                    break;
                case 2 when wireType == 0:
                    intValue = (int)reader.ReadVarint();
                    break;
                case 3 when wireType == 2:
                    stringValue = Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                default:
                    reader.SkipAndCheckEmpty(wireType);
                    break;
            }
        }

        return type == 1 ? JsonValue.Create(stringValue) : JsonValue.Create(intValue);
    }

    private static string Display(string path) => path.Length == 0 ? "the top level" : path[1..];
}
