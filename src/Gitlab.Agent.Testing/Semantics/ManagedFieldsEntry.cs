using System.Globalization;
using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Semantics;

/// <summary>One <c>metadata.managedFields</c> entry, decoded.</summary>
internal sealed class ManagedFieldsEntry
{
    /// <summary>Operation of server-side apply.</summary>
    public const string ApplyOperation = "Apply";

    /// <summary>Operation of every other write.</summary>
    public const string UpdateOperation = "Update";

    /// <summary>The field manager.</summary>
    public required string Manager { get; init; }

    /// <summary><see cref="ApplyOperation"/> or <see cref="UpdateOperation"/>.</summary>
    public required string Operation { get; init; }

    /// <summary>API version the fields were written with.</summary>
    public required string ApiVersion { get; set; }

    /// <summary>RFC 3339 time of the last change by this manager, if known.</summary>
    public string? Time { get; set; }

    /// <summary>Subresource (e.g. <c>status</c>), or null for the main resource.</summary>
    public string? Subresource { get; init; }

    /// <summary>The owned fields.</summary>
    public required FieldSet Fields { get; set; }

    /// <summary>
    /// The identity the apiserver keys entries by: manager, operation and subresource, plus the API version for
    /// updates (an applier keeps one entry whatever version it applies with).
    /// </summary>
    public string Identity => Operation == ApplyOperation
        ? string.Join('\0', Manager, Operation, Subresource ?? "")
        : string.Join('\0', Manager, Operation, ApiVersion, Subresource ?? "");

    /// <summary>The JSON manager identifier the apiserver sorts conflict messages by.</summary>
    public string IdentifierJson
    {
        get
        {
            var obj = new JsonObject { ["manager"] = Manager, ["operation"] = Operation };
            if (Operation != ApplyOperation)
            {
                obj["apiVersion"] = ApiVersion;
            }

            if (Time is not null)
            {
                obj["time"] = Time;
            }

            if (!string.IsNullOrEmpty(Subresource))
            {
                obj["subresource"] = Subresource;
            }

            return obj.ToJsonString();
        }
    }

    /// <summary>Formats a time like Kubernetes (<c>2006-01-02T15:04:05Z</c>).</summary>
    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Decodes <c>metadata.managedFields</c>; entries that are not FieldsV1 or are malformed are skipped.</summary>
    public static List<ManagedFieldsEntry> DecodeAll(JsonNode? managedFields)
    {
        var result = new List<ManagedFieldsEntry>();
        if (managedFields is not JsonArray array)
        {
            return result;
        }

        foreach (var item in array)
        {
            if (item is not JsonObject obj || Text(obj, "manager") is not { } manager)
            {
                continue;
            }

            FieldSet fields;
            try
            {
                fields = FieldSet.FromFieldsV1(obj["fieldsV1"] as JsonObject);
            }
            catch (FormatException)
            {
                continue;
            }

            var entry = new ManagedFieldsEntry
            {
                Manager = manager,
                Operation = Text(obj, "operation") ?? UpdateOperation,
                ApiVersion = Text(obj, "apiVersion") ?? "",
                Time = Text(obj, "time"),
                Subresource = string.IsNullOrEmpty(Text(obj, "subresource")) ? null : Text(obj, "subresource"),
                Fields = fields,
            };
            var existing = result.FirstOrDefault(e => e.Identity == entry.Identity);
            if (existing is null)
            {
                result.Add(entry);
            }
            else
            {
                existing.Fields = existing.Fields.Union(entry.Fields);
            }
        }

        return result;
    }

    /// <summary>Encodes entries in the apiserver's order (operation, time, manager, API version, subresource).</summary>
    public static JsonArray EncodeAll(IEnumerable<ManagedFieldsEntry> entries)
    {
        var list = entries.ToList();
        if (list.Count > 1)
        {
            // A stable sort (ties keep their order), like the OrderBy/ThenBy chain it replaces.
            var keyed = list.Select((e, i) => (Entry: e, Time: e.Time is null ? DateTimeOffset.MinValue : DateTimeOffset.Parse(e.Time, CultureInfo.InvariantCulture), Index: i)).ToArray();
            Array.Sort(keyed, static (a, b) =>
            {
                var c = string.CompareOrdinal(a.Entry.Operation, b.Entry.Operation);
                if (c == 0)
                {
                    c = a.Time.CompareTo(b.Time);
                }

                if (c == 0)
                {
                    c = string.CompareOrdinal(a.Entry.Manager, b.Entry.Manager);
                }

                if (c == 0)
                {
                    c = string.CompareOrdinal(a.Entry.ApiVersion, b.Entry.ApiVersion);
                }

                if (c == 0)
                {
                    c = string.CompareOrdinal(a.Entry.Subresource ?? "", b.Entry.Subresource ?? "");
                }

                return c != 0 ? c : a.Index.CompareTo(b.Index);
            });
            for (var i = 0; i < keyed.Length; i++)
            {
                list[i] = keyed[i].Entry;
            }
        }
        else if (list.Count == 1 && list[0].Time is { } time)
        {
            _ = DateTimeOffset.Parse(time, CultureInfo.InvariantCulture); // a malformed time fails as the sort would
        }

        var array = new JsonArray();
        foreach (var entry in list)
        {
            array.Add(entry.ToJson());
        }

        return array;
    }

    /// <summary>The entry as the apiserver serializes it.</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject
        {
            ["manager"] = Manager,
            ["operation"] = Operation,
            ["apiVersion"] = ApiVersion,
        };
        if (Time is not null)
        {
            obj["time"] = Time;
        }

        obj["fieldsType"] = "FieldsV1";
        obj["fieldsV1"] = Fields.ToFieldsV1();
        if (!string.IsNullOrEmpty(Subresource))
        {
            obj["subresource"] = Subresource;
        }

        return obj;
    }

    private static string? Text(JsonObject obj, string name)
        => obj[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
