using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Quickstart;

/// <summary>KAS's GraphQL API over HTTP, exactly as any user would call it (<c>Authorization: Bearer &lt;PAT&gt;</c>).</summary>
public sealed class GraphqlClient(Uri apiAddress, string personalAccessToken) : IDisposable
{
    private readonly HttpClient _http = new()
    {
        BaseAddress = apiAddress,
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", personalAccessToken) },
    };

    /// <summary>Runs a document and returns <c>data</c>; throws with the server's messages when it answered with errors.</summary>
    public async Task<JsonObject> RunAsync(string query, object? variables, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync("/api/graphql", new { query, variables }, cancellationToken);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)) as JsonObject;
        if (body?["errors"] is JsonArray { Count: > 0 } errors)
        {
            throw new InvalidOperationException($"GraphQL error ({(int)response.StatusCode}): " + string.Join("; ", errors.Select(e => e?["message"]?.GetValue<string>())));
        }

        return body?["data"] as JsonObject ?? throw new InvalidOperationException($"GraphQL answered {(int)response.StatusCode} without data");
    }

    /// <summary>Runs a mutation and throws when its payload has <c>errors</c>.</summary>
    public async Task<JsonObject> MutateAsync(string field, string query, object? variables, CancellationToken cancellationToken)
    {
        var payload = (await RunAsync(query, variables, cancellationToken))[field] as JsonObject
            ?? throw new InvalidOperationException($"{field} returned nothing");
        if (payload["errors"] is JsonArray { Count: > 0 } errors)
        {
            throw new InvalidOperationException($"{field}: " + string.Join("; ", errors.Select(e => e?.GetValue<string>())));
        }

        return payload;
    }

    public void Dispose() => _http.Dispose();
}
