using System.Text.RegularExpressions;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Protocol.AgentConfiguration;
using Gitlab.Agent.Protocol.AgentRegistrar;
using Gitlab.Agent.Protocol.AgentTracker.Rpc;
using Gitlab.Agent.Protocol.Entity;
using Gitlab.Agent.Protocol.GitlabAccess;
using Gitlab.Agent.Protocol.Grpctool;
using Gitlab.Agent.TestUtilities;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.AspNetCore.Hosting;
using HttpRequest = Gitlab.Agent.Protocol.Grpctool.HttpRequest;
using HttpResponse = Gitlab.Agent.Protocol.Grpctool.HttpResponse;

namespace Gitlab.Agent.Kas.Tests.Services;

public sealed class AgentServicesTests : IAsyncDisposable
{
    private KasTestHost _kas = null!;

    public async ValueTask DisposeAsync()
    {
        if (_kas is not null)
        {
            await _kas.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("glagent-unknown")]
    public async Task Calls_without_a_valid_token_are_Unauthenticated(string? token)
    {
        _kas = await KasTestHost.StartAsync();
        var client = new AgentRegistrar.AgentRegistrarClient(_kas.Channel(KasListener.Agent, token));

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.RegisterAsync(new RegisterRequest { PodId = 1 }));

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task Calls_beyond_the_per_token_rate_limit_are_ResourceExhausted()
    {
        _kas = await KasTestHost.StartAsync(c => c.Agent.Listen.ConnectionsPerTokenPerMinute = 2);
        var (_, token) = await _kas.CreateAgentAsync("group/project", "agent");
        var client = new AgentRegistrar.AgentRegistrarClient(_kas.Channel(KasListener.Agent, token.Secret));

        // Five calls with a limit of two: even if a minute boundary falls between them, one minute sees three.
        var statuses = new List<StatusCode>();
        for (var i = 0; i < 5; i++)
        {
            try
            {
                await client.RegisterAsync(new RegisterRequest { PodId = 1 });
                statuses.Add(StatusCode.OK);
            }
            catch (RpcException ex)
            {
                Assert.Equal("new connection rate limit exhausted for this agent, try again later", ex.Status.Detail);
                statuses.Add(ex.StatusCode);
            }
        }

        Assert.Contains(StatusCode.ResourceExhausted, statuses);
        Assert.Equal(StatusCode.OK, statuses[0]);
    }

    [Fact]
    public async Task Register_records_the_pod_and_GetConnectedAgents_reports_it_on_the_api_listener()
    {
        _kas = await KasTestHost.StartAsync(tls: [KasListener.Api]);
        var (agent, token) = await _kas.CreateAgentAsync("group/project", "agent");
        var registrar = new AgentRegistrar.AgentRegistrarClient(_kas.Channel(KasListener.Agent, token.Secret));

        await registrar.RegisterAsync(new RegisterRequest
        {
            PodId = 4242,
            AgentMeta = new AgentMeta { Version = "v1.2.3", CommitId = "abc", PodName = "agentk-x", PodNamespace = "ns", KubernetesVersion = new KubernetesVersion { GitVersion = "v1.31.0" } },
        });

        var tracker = new AgentTracker.AgentTrackerClient(_kas.Channel(KasListener.Api));
        var byAgent = await tracker.GetConnectedAgentsAsync(new GetConnectedAgentsRequest { AgentId = agent.Id });
        var byProject = await tracker.GetConnectedAgentsAsync(new GetConnectedAgentsRequest { ProjectId = agent.ProjectId });
        var info = Assert.Single(byAgent.Agents);
        Assert.Equal((4242L, agent.Id, agent.ProjectId), (info.ConnectionId, info.AgentId, info.ProjectId));
        Assert.Equal(("v1.2.3", "abc", "agentk-x", "ns", "v1.31.0"), (info.AgentMeta.Version, info.AgentMeta.CommitId, info.AgentMeta.PodName, info.AgentMeta.PodNamespace, info.AgentMeta.KubernetesVersion.GitVersion));
        Assert.Equal(info, Assert.Single(byProject.Agents));
        Assert.Empty((await tracker.GetConnectedAgentsAsync(new GetConnectedAgentsRequest { ProjectId = agent.ProjectId + 1 })).Agents);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await registrar.RegisterAsync(new RegisterRequest()));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task MakeRequest_dispatches_to_the_module_handler_and_answers_404_for_unknown_modules()
    {
        _kas = await KasTestHost.StartAsync(services: (kas, _) => kas.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IAgentModuleRequestHandler, EchoHandler>()));
        var (agent, token) = await _kas.CreateAgentAsync("group/project", "agent");
        var channel = _kas.Channel(KasListener.Agent, token.Secret);

        var (status, headers, body) = await MakeRequestAsync(channel, "echo", "POST", "/alerts", new byte[100_000]);
        Assert.Equal(201, status);
        Assert.Equal($"agent={agent.Id};path=/alerts;method=POST;q=1", headers["X-Echo"]);
        Assert.Equal(100_000, body.Length);

        var (missing, _, text) = await MakeRequestAsync(channel, "nope", "GET", "/", []);
        Assert.Equal(404, missing);
        Assert.Contains("'nope'", System.Text.Encoding.UTF8.GetString(text));
    }

    [Fact]
    public async Task MakeRequest_without_a_local_handler_is_forwarded_to_the_GitLab_internal_api()
    {
        await using var gitlab = await FakeGitlab.StartAsync();
        _kas = await KasTestHost.StartAsync(services: (kas, _) => kas.Services.Configure<KasOptions>(o => o.GitlabInternalApiUrl = gitlab.Url));
        var (_, token) = await _kas.CreateAgentAsync("group/project", "agent");

        var (status, headers, body) = await MakeRequestAsync(_kas.Channel(KasListener.Agent, token.Secret), "cilium_alert", "POST", "/alerts", "payload"u8.ToArray());

        Assert.Equal(202, status);
        Assert.Equal("yes", headers["X-Fake-Gitlab"]);
        Assert.Equal("POST /api/v4/internal/kubernetes/modules/cilium_alert/alerts?q=1 Bearer " + token.Secret + " payload", System.Text.Encoding.UTF8.GetString(body));
    }

    [Fact]
    public async Task The_agent_listener_serves_grpcs_when_a_certificate_is_configured()
    {
        _kas = await KasTestHost.StartAsync(tls: [KasListener.Agent]);
        var (agent, token) = await _kas.CreateAgentAsync("group/project", "agent");
        Assert.Equal("grpcs", _kas.Addresses.Agent.Scheme);
        var registrar = new AgentRegistrar.AgentRegistrarClient(_kas.Channel(KasListener.Agent, token.Secret));

        await registrar.RegisterAsync(new RegisterRequest { PodId = 7 });

        Assert.Equal(7, Assert.Single(await _kas.Registry.ListConnectionsAsync(agent.Id)).ConnectionId);
    }

    [Fact]
    public async Task MakeRequest_rejects_a_stream_without_a_header()
    {
        _kas = await KasTestHost.StartAsync();
        var (_, token) = await _kas.CreateAgentAsync("group/project", "agent");
        var client = new GitlabAccess.GitlabAccessClient(_kas.Channel(KasListener.Agent, token.Secret));
        using var call = client.MakeRequest();

        await call.RequestStream.WriteAsync(new HttpRequest { Trailer = new HttpRequest.Types.Trailer() });
        await call.RequestStream.CompleteAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    internal static async Task<(int Status, Dictionary<string, string> Headers, byte[] Body)> MakeRequestAsync(GrpcChannel channel, string module, string method, string path, byte[] body)
    {
        var client = new GitlabAccess.GitlabAccessClient(channel);
        using var call = client.MakeRequest();
        var request = new Protocol.Prototool.HttpRequest { Method = method, UrlPath = path };
        request.Query["q"] = new Protocol.Prototool.Values { Value = { "1" } };
        await call.RequestStream.WriteAsync(new HttpRequest { Header = new HttpRequest.Types.Header { Request = request, Extra = Any.Pack(new HeaderExtra { ModuleName = module }) } });
        for (var offset = 0; offset < body.Length; offset += 32 * 1024)
        {
            await call.RequestStream.WriteAsync(new HttpRequest { Data = new HttpRequest.Types.Data { Data_ = ByteString.CopyFrom(body, offset, Math.Min(32 * 1024, body.Length - offset)) } });
        }

        await call.RequestStream.WriteAsync(new HttpRequest { Trailer = new HttpRequest.Types.Trailer() });
        await call.RequestStream.CompleteAsync();
        var status = 0;
        var headers = new Dictionary<string, string>();
        using var received = new MemoryStream();
        var sawTrailer = false;
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            switch (message.MessageCase)
            {
                case HttpResponse.MessageOneofCase.Header:
                    status = message.Header.Response.StatusCode;
                    foreach (var (k, v) in message.Header.Response.Header)
                    {
                        headers[k] = string.Join(',', v.Value);
                    }

                    break;
                case HttpResponse.MessageOneofCase.Data:
                    message.Data.Data_.WriteTo(received);
                    break;
                case HttpResponse.MessageOneofCase.Trailer:
                    sawTrailer = true;
                    break;
            }
        }

        Assert.True(sawTrailer);
        return (status, headers, received.ToArray());
    }

    /// <summary>A stand-in for GitLab's internal API that echoes method, path, authorization and body.</summary>
    private sealed class FakeGitlab : IAsyncDisposable
    {
        private readonly Microsoft.AspNetCore.Builder.WebApplication _app;

        private FakeGitlab(Microsoft.AspNetCore.Builder.WebApplication app, Uri url) => (_app, Url) = (app, url);

        public Uri Url { get; }

        public static async Task<FakeGitlab> StartAsync()
        {
            var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            Microsoft.AspNetCore.Builder.RunExtensions.Run(app, async context =>
            {
                using var reader = new StreamReader(context.Request.Body);
                var body = await reader.ReadToEndAsync();
                context.Response.StatusCode = 202;
                context.Response.Headers["X-Fake-Gitlab"] = "yes";
                await Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(context.Response, $"{context.Request.Method} {context.Request.Path}{context.Request.QueryString} {context.Request.Headers.Authorization} {body}");
            });
            await app.StartAsync();
            return new FakeGitlab(app, new Uri(app.Urls.First()));
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }

    private sealed class EchoHandler : IAgentModuleRequestHandler
    {
        public string ModuleName => "echo";

        public Task<AgentModuleResponse> HandleAsync(AgentIdentity agent, AgentModuleRequest request, CancellationToken cancellationToken = default) =>
            Task.FromResult(new AgentModuleResponse(201,
                new Dictionary<string, IReadOnlyList<string>> { ["X-Echo"] = [$"agent={agent.AgentId};path={request.UrlPath};method={request.Method};q={request.Query["q"][0]}"] },
                request.Body));
    }
}
