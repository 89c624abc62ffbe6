using Gitlab.Agent.Protocol.Cilium.Observer;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Gitlab.Agent.Testing.Hubble;

/// <summary>
/// Reads Hubble flow recordings in JSON Lines form, the output of <c>hubble observe -o jsonpb</c>: one
/// <c>GetFlowsResponse</c> per line (<c>{"flow":{...},"node_name":"...","time":"..."}</c>).
/// </summary>
public static class HubbleFixtures
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>
    /// Parses every non-empty line of <paramref name="reader"/>. Unknown fields are ignored; a line that is not a valid
    /// message throws <see cref="FormatException"/> naming <paramref name="source"/> and the line number, unless
    /// <paramref name="skipInvalidLines"/> is set (as the Hubble CLI does).
    /// </summary>
    public static IReadOnlyList<GetFlowsResponse> ReadJsonLines(TextReader reader, string source = "<input>", bool skipInvalidLines = false)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var result = new List<GetFlowsResponse>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                result.Add(Parser.Parse<GetFlowsResponse>(line));
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or FormatException)
            {
                if (!skipInvalidLines)
                {
                    throw new FormatException($"{source}:{lineNumber}: not a GetFlowsResponse in protojson form: {e.Message}", e);
                }
            }
        }

        return result;
    }

    /// <summary>Reads the JSON Lines file at <paramref name="path"/>; see <see cref="ReadJsonLines"/>.</summary>
    public static IReadOnlyList<GetFlowsResponse> Load(string path, bool skipInvalidLines = false)
    {
        using var reader = File.OpenText(path);
        return ReadJsonLines(reader, path, skipInvalidLines);
    }

    /// <summary>
    /// Returns copies of <paramref name="responses"/> whose times are shifted so the earliest one becomes
    /// <paramref name="start"/>, keeping the gaps between them. Responses without a time get <paramref name="start"/>.
    /// Both <c>GetFlowsResponse.time</c> and <c>Flow.time</c> are set, as Hubble does.
    /// </summary>
    public static IReadOnlyList<GetFlowsResponse> Rebase(IEnumerable<GetFlowsResponse> responses, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(responses);
        var copies = responses.Select(r => r.Clone()).ToList();
        var earliest = copies.Select(TimeOf).Where(t => t is not null).Min();
        foreach (var response in copies)
        {
            var time = TimeOf(response) is { } t && earliest is { } e ? start + (t - e) : start;
            var timestamp = Timestamp.FromDateTimeOffset(time);
            response.Time = timestamp;
            if (response.Flow is not null)
            {
                response.Flow.Time = timestamp.Clone();
            }
        }

        return copies;
    }

    /// <summary>The time of a response: <c>time</c>, else the flow's time, else <see langword="null"/>.</summary>
    public static DateTimeOffset? TimeOf(GetFlowsResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var timestamp = response.Time ?? response.Flow?.Time;
        return timestamp is null ? null : timestamp.ToDateTimeOffset();
    }
}
