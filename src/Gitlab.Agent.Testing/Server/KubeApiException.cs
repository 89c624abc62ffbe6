using System.Text.Json.Nodes;

namespace Gitlab.Agent.Testing.Server;

/// <summary>An error that the API server answers with a <c>Status</c> object, like kube-apiserver's StatusError.</summary>
internal sealed class KubeApiException : Exception
{
    public KubeApiException(int code, string reason, string message, JsonObject? details = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
    }

    public int Code { get; }

    public string Reason { get; }

    public JsonObject? Details { get; }

    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
        };
        if (Reason.Length > 0)
        {
            status["reason"] = Reason;
        }

        if (Details is not null)
        {
            status["details"] = Details.DeepClone();
        }

        status["code"] = Code;
        return status;
    }

    private static JsonObject NameDetails(string name, string group, string kind)
    {
        var d = new JsonObject();
        if (name.Length > 0)
        {
            d["name"] = name;
        }

        if (group.Length > 0)
        {
            d["group"] = group;
        }

        d["kind"] = kind;
        return d;
    }

    /// <summary>"deployments.apps" or "configmaps".</summary>
    public static string Qualified(string group, string resource) => group.Length == 0 ? resource : resource + "." + group;

    public static KubeApiException NotFound(string group, string resource, string name) =>
        new(404, "NotFound", $"{Qualified(group, resource)} \"{name}\" not found", NameDetails(name, group, resource));

    public static KubeApiException PathNotFound() =>
        new(404, "NotFound", "the server could not find the requested resource", new JsonObject());

    public static KubeApiException MethodNotAllowed() =>
        new(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", new JsonObject());

    public static KubeApiException AlreadyExists(string group, string resource, string name) =>
        new(409, "AlreadyExists", $"{Qualified(group, resource)} \"{name}\" already exists", NameDetails(name, group, resource));

    public static KubeApiException Conflict(string group, string resource, string name, string detail) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {Qualified(group, resource)} \"{name}\": {detail}", NameDetails(name, group, resource));

    public static KubeApiException StaleResourceVersion(string group, string resource, string name) =>
        Conflict(group, resource, name, "the object has been modified; please apply your changes to the latest version and try again");

    public static KubeApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static KubeApiException Gone(string message) => new(410, "Expired", message);

    public static KubeApiException UnsupportedMediaType(string message) => new(415, "UnsupportedMediaType", message);

    public static KubeApiException NotAcceptable(string message) => new(406, "NotAcceptable", message);

    public static KubeApiException Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    public static KubeApiException Internal(string message) => new(500, "InternalError", $"Internal error occurred: {message}",
        new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = message }) });

    public static KubeApiException Forbidden(string group, string resource, string name, string message, JsonArray? causes = null)
    {
        var d = NameDetails(name, group, resource);
        if (causes is not null)
        {
            d["causes"] = causes;
        }

        var prefix = name.Length > 0 ? $"{Qualified(group, resource)} \"{name}\"" : Qualified(group, resource);
        return new(403, "Forbidden", $"{prefix} is forbidden: {message}", d);
    }

    /// <summary>422 Invalid with field causes, as apimachinery's NewInvalid renders it.</summary>
    public static KubeApiException Invalid(string group, string kind, string name, IReadOnlyList<FieldError> errors)
    {
        var causes = new JsonArray();
        foreach (var e in errors)
        {
            causes.Add(new JsonObject { ["reason"] = e.Reason, ["message"] = e.CauseMessage, ["field"] = e.Field });
        }

        var qualifiedKind = group.Length == 0 ? kind : kind + "." + group;
        string message;
        if (errors.Count == 1)
        {
            message = $"{qualifiedKind} \"{name}\" is invalid: {errors[0].Render()}";
        }
        else
        {
            message = $"{qualifiedKind} \"{name}\" is invalid: [{string.Join(", ", errors.Select(e => e.Render()))}]";
        }

        var d = NameDetails(name, group, kind);
        d["causes"] = causes;
        return new(422, "Invalid", message, d);
    }
}

/// <summary>One field validation error (apimachinery field.Error).</summary>
internal sealed record FieldError(string Reason, string Field, string Detail, string? BadValue = null)
{
    private string TypeText => Reason switch
    {
        "FieldValueRequired" => "Required value",
        "FieldValueInvalid" => "Invalid value",
        "FieldValueForbidden" => "Forbidden",
        "FieldValueNotSupported" => "Unsupported value",
        "FieldValueDuplicate" => "Duplicate value",
        "FieldValueTooLong" => "Too long",
        _ => "Invalid value",
    };

    public string CauseMessage => BadValue is null
        ? (Detail.Length == 0 ? TypeText : $"{TypeText}: {Detail}")
        : (Detail.Length == 0 ? $"{TypeText}: {BadValue}" : $"{TypeText}: {BadValue}: {Detail}");

    public string Render() => $"{Field}: {CauseMessage}";

    public static FieldError Required(string field, string detail = "") => new("FieldValueRequired", field, detail);

    public static FieldError InvalidValue(string field, string badValueRendered, string detail) => new("FieldValueInvalid", field, detail, badValueRendered);

    public static FieldError Forbidden(string field, string detail) => new("FieldValueForbidden", field, detail);

    public static FieldError NotSupported(string field, string badValueRendered, IEnumerable<string> supported) =>
        new("FieldValueNotSupported", field, "supported values: " + string.Join(", ", supported.Select(s => "\"" + s + "\"")), badValueRendered);
}
