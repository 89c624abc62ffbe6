using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Agentk.Tests.Infrastructure;
using Gitlab.Agent.Protocol.GitlabAccess;
using Microsoft.Extensions.DependencyInjection;

namespace Gitlab.Agent.Agentk.Tests.Kas;

public class GitlabAccessClientTests
{
    [Fact]
    public async Task Request_is_framed_as_header_data_chunks_trailer_and_the_response_is_reassembled()
    {
        await using var kas = await FakeKas.StartAsync();
        await using var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{kas.Port}");
        var client = agent.Host.Services.GetRequiredService<IGitlabAccessClient>();
        var body = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();

        var response = await client.SendAsync(
            "starboard_vulnerability",
            "POST",
            "/scan_result?page=2&tag=a&tag=b%20c",
            body,
            new Dictionary<string, string> { ["Content-Type"] = "application/json" });

        Assert.Equal(201, response.StatusCode);
        Assert.Equal(body.Reverse().ToArray(), response.Body.ToArray());
        var (header, received, maxChunk) = await kas.State.GitlabAccessRequests.Reader.ReadAsync();
        Assert.Equal(body, received);
        Assert.Equal(GitlabAccessClient.ChunkSize, maxChunk);
        Assert.Equal("POST", header.Request.Method);
        Assert.Equal("/scan_result", header.Request.UrlPath);
        Assert.Equal(["2"], header.Request.Query["page"].Value);
        Assert.Equal(["a", "b c"], header.Request.Query["tag"].Value);
        Assert.Equal(["application/json"], header.Request.Header["Content-Type"].Value);
        Assert.Equal(body.Length, header.ContentLength);
        Assert.Equal("type.googleapis.com/gitlab.agent.gitlab_access.rpc.HeaderExtra", header.Extra.TypeUrl);
        Assert.Equal("starboard_vulnerability", header.Extra.Unpack<HeaderExtra>().ModuleName);
    }

    [Fact]
    public async Task An_empty_body_sends_no_data_messages()
    {
        await using var kas = await FakeKas.StartAsync();
        await using var agent = await AgentUnderTest.StartAsync($"grpc://127.0.0.1:{kas.Port}");
        var client = agent.Host.Services.GetRequiredService<IGitlabAccessClient>();

        var response = await client.SendAsync("flux", "GET", "/projects", ReadOnlyMemory<byte>.Empty);

        Assert.Equal(201, response.StatusCode);
        Assert.Equal(0, response.Body.Length);
        var (header, received, maxChunk) = await kas.State.GitlabAccessRequests.Reader.ReadAsync();
        Assert.Empty(received);
        Assert.Equal(0, maxChunk);
        Assert.Empty(header.Request.Query);
    }
}
