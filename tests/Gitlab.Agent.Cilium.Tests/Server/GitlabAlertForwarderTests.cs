using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gitlab.Agent.Cilium.Tests.Infrastructure;
using Gitlab.Agent.Kas.Modules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Cilium.Tests.Server;

public sealed class GitlabAlertForwarderTests : IAsyncLifetime
{
    private static readonly byte[] Secret = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentQueue<(string Path, string? Authorization, string? Jwt, string? ContentType, string Body)> _received = new();
    private WebApplication? _gitlab;
    private ServerFixture _server = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _gitlab = builder.Build();
        _gitlab.MapPost("/api/v4/internal/kubernetes/modules/cilium_alert/", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            _received.Enqueue((context.Request.Path, context.Request.Headers.Authorization, context.Request.Headers["Gitlab-Kas-Api-Request"], context.Request.ContentType, await reader.ReadToEndAsync()));
            return Results.Ok();
        });
        await _gitlab.StartAsync();
        var address = new Uri(_gitlab.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        _server = new ServerFixture(o =>
        {
            o.GitlabAddress = address;
            o.GitlabApiSecret = Convert.ToBase64String(Secret);
        });
    }

    public async Task DisposeAsync()
    {
        _server.Dispose();
        await _gitlab!.DisposeAsync();
    }

    private static AgentModuleRequest Request(string? authorization)
    {
        var flow = TestData.Flow("ingress-policy-denied.jsonl");
        var body = TestData.GitlabPayload(flow, TestData.PolicyJson("db-ingress", TestData.DbIngressSpec));
        var headers = new Dictionary<string, IReadOnlyList<string>> { ["Content-Type"] = ["application/json"] };
        if (authorization is not null)
        {
            headers["Authorization"] = [authorization];
        }

        return new AgentModuleRequest("POST", "/", new Dictionary<string, IReadOnlyList<string>>(), headers, Encoding.UTF8.GetBytes(body));
    }

    [Fact]
    public async Task Accepted_alert_is_forwarded_with_agent_token_and_signed_kas_jwt()
    {
        var agent = new AgentIdentity(7, "a", 42, "g/p", 1);
        var request = Request("Bearer glagent-token");
        var response = await _server.Handler.HandleAsync(agent, request);
        Assert.Equal(200, response.StatusCode);

        var forwarded = Assert.Single(_received);
        Assert.Equal("Bearer glagent-token", forwarded.Authorization);
        Assert.Equal("application/json", forwarded.ContentType);
        Assert.Equal(Encoding.UTF8.GetString(request.Body.Span), forwarded.Body);

        var parts = forwarded.Jwt!.Split('.');
        Assert.Equal(3, parts.Length);
        var expected = HMACSHA256.HashData(Secret, Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"));
        Assert.Equal(expected, FromBase64Url(parts[2]));
        var claims = JsonDocument.Parse(FromBase64Url(parts[1])).RootElement;
        Assert.Equal(("gitlab-kas", "gitlab"), (claims.GetProperty("iss").GetString(), claims.GetProperty("aud").GetString()));
        Assert.Equal(10, claims.GetProperty("exp").GetInt64() - claims.GetProperty("nbf").GetInt64());
        Assert.Equal("HS256", JsonDocument.Parse(FromBase64Url(parts[0])).RootElement.GetProperty("alg").GetString());
    }

    [Fact]
    public async Task Alert_without_agent_token_is_stored_but_not_forwarded()
    {
        var response = await _server.Handler.HandleAsync(new AgentIdentity(7, "a", 42, "g/p", 1), Request(authorization: null));
        Assert.Equal(200, response.StatusCode);
        Assert.Empty(_received);
        Assert.Single(await _server.Store.ListAsync(7));
    }

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - (padded.Length % 4)) % 4));
    }
}
