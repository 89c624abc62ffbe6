using System.Collections.Concurrent;
using System.Text.Json;
using Gitlab.Agent.Agentk.Kas;

namespace Gitlab.Agent.Cilium.Tests.Infrastructure;

/// <summary>
/// Records what the agent sends through GitlabAccess and answers with <see cref="Respond"/> (default 200), which may
/// also throw to simulate an unreachable KAS.
/// </summary>
internal sealed class FakeGitlabAccessClient : IGitlabAccessClient
{
    private int _attempts;

    public ConcurrentQueue<SentRequest> Attempts { get; } = new();

    public ConcurrentQueue<SentRequest> Accepted { get; } = new();

    public Func<int, GitlabAccessResponse> Respond { get; set; } = _ => new GitlabAccessResponse(200, "{}"u8.ToArray());

    public IReadOnlyList<JsonElement> AcceptedAlerts => Accepted.Select(r => r.Json.GetProperty("alert")).ToList();

    public Task<GitlabAccessResponse> SendAsync(string moduleName, string method, string urlPath, ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string>? headers = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var request = new SentRequest(moduleName, method, urlPath, headers ?? new Dictionary<string, string>(), JsonDocument.Parse(body.ToArray()).RootElement.Clone());
        Attempts.Enqueue(request);
        var response = Respond(Interlocked.Increment(ref _attempts));
        if (response.StatusCode is >= 200 and < 300)
        {
            Accepted.Enqueue(request);
        }

        return Task.FromResult(response);
    }

    public sealed record SentRequest(string Module, string Method, string Path, IReadOnlyDictionary<string, string> Headers, JsonElement Json);
}
