using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Gitlab.Agent.TestUtilities;

namespace Gitlab.Agent.Testing.Tests.Infrastructure;

/// <summary>Plain HTTP access to the test server (exact status codes, headers and bodies).</summary>
public sealed class RawApi : IDisposable
{
    private readonly HttpClient _http;

    public RawApi(KubernetesApiServer server, string? token = null)
    {
        var ca = server.CaCertificate;
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => TestCertificates.ChainsTo(cert, ca),
            },
        };
        _http = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token ?? server.AdminToken);
    }

    public HttpClient Http => _http;

    public async Task<(int Code, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, string? body = null, string contentType = "application/json", IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        foreach (var (k, v) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }

        var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        if (text.Length > 0 && (text[0] == '{' || text[0] == '['))
        {
            json = JsonNode.Parse(text);
        }

        return ((int)response.StatusCode, json, response);
    }

    public Task<(int Code, JsonNode? Body, HttpResponseMessage Response)> GetAsync(string path, IDictionary<string, string>? headers = null) => SendAsync(HttpMethod.Get, path, headers: headers);

    public Task<(int Code, JsonNode? Body, HttpResponseMessage Response)> PostAsync(string path, string body, string contentType = "application/json") => SendAsync(HttpMethod.Post, path, body, contentType);

    public Task<(int Code, JsonNode? Body, HttpResponseMessage Response)> PutAsync(string path, string body) => SendAsync(HttpMethod.Put, path, body);

    public Task<(int Code, JsonNode? Body, HttpResponseMessage Response)> PatchAsync(string path, string body, string contentType) => SendAsync(HttpMethod.Patch, path, body, contentType);

    public Task<(int Code, JsonNode? Body, HttpResponseMessage Response)> DeleteAsync(string path, string? body = null) => SendAsync(HttpMethod.Delete, path, body);

    public void Dispose() => _http.Dispose();
}
