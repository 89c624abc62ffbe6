namespace Gitlab.Agent.Testing.Api;

/// <summary>What representation the client asked for in its Accept header.</summary>
internal enum ResponseShape
{
    Object,
    Table,
    PartialMetadata,
}

/// <summary>Accept-header negotiation for JSON, Tables and PartialObjectMetadata.</summary>
internal sealed record AcceptInfo(ResponseShape Shape, string TableApiVersion, bool Acceptable)
{
    private static readonly AcceptInfo PlainJson = new(ResponseShape.Object, "meta.k8s.io/v1", true);

    public static AcceptInfo Parse(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept) || accept is "application/json" or "*/*" or "application/json, */*")
        {
            return PlainJson;
        }

        var jsonAcceptable = false;
        foreach (var range in accept.Split(','))
        {
            var pieces = range.Split(';').Select(p => p.Trim()).ToArray();
            var media = pieces[0].ToLowerInvariant();
            var parameters = pieces.Skip(1).Select(p => p.Split('=', 2)).Where(p => p.Length == 2)
                .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
            if (media is not ("application/json" or "*/*" or "application/*"))
            {
                continue;
            }

            if (parameters.TryGetValue("as", out var shape))
            {
                parameters.TryGetValue("g", out var g);
                parameters.TryGetValue("v", out var v);
                if (g != "meta.k8s.io" || v is not ("v1" or "v1beta1"))
                {
                    continue;
                }

                if (shape == "Table")
                {
                    return new AcceptInfo(ResponseShape.Table, "meta.k8s.io/" + v, true);
                }

                if (shape is "PartialObjectMetadata" or "PartialObjectMetadataList")
                {
                    return new AcceptInfo(ResponseShape.PartialMetadata, "meta.k8s.io/" + v, true);
                }

                continue;
            }

            jsonAcceptable = true;
            break;
        }

        return new AcceptInfo(ResponseShape.Object, "meta.k8s.io/v1", jsonAcceptable);
    }
}
