using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Protocol.GitlabAccess;
using Gitlab.Agent.Protocol.Grpctool;
using Gitlab.Agent.Protocol.Prototool;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using GitlabAccessRpc = Gitlab.Agent.Protocol.GitlabAccess.GitlabAccess;
using HttpRequest = Gitlab.Agent.Protocol.Grpctool.HttpRequest;
using HttpResponse = Gitlab.Agent.Protocol.Grpctool.HttpResponse;

namespace Gitlab.Agent.Kas.Services;

/// <summary>
/// <c>GitlabAccess/MakeRequest</c>: an agent module's HTTP request framed as header → data* → trailer. Dispatched to the
/// <see cref="IAgentModuleRequestHandler"/> registered for <c>HeaderExtra.module_name</c>, else forwarded to the
/// configured GitLab internal API, else answered 404.
/// </summary>
internal sealed class GitlabAccessService(
    IEnumerable<IAgentModuleRequestHandler> handlers,
    KasRuntimeSettings settings,
    IHttpClientFactory httpClientFactory) : GitlabAccessRpc.GitlabAccessBase
{
    public const string HttpClientName = "Gitlab.Agent.Kas.GitlabAccess";
    private const int ChunkSize = 32 * 1024;

    public override async Task MakeRequest(IAsyncStreamReader<HttpRequest> requestStream, IServerStreamWriter<HttpResponse> responseStream, ServerCallContext context)
    {
        var agent = context.GetAgentIdentity();
        var cancellationToken = context.CancellationToken;
        var (moduleName, request) = await ReadRequestAsync(requestStream, cancellationToken);
        var handler = handlers.FirstOrDefault(h => string.Equals(h.ModuleName, moduleName, StringComparison.Ordinal));
        AgentModuleResponse response;
        if (handler is not null)
        {
            // Handlers see the agent's token the way GitLab's internal API does, so they can forward on its behalf.
            var headers = request.Headers
                .Where(h => !h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
                .ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
            headers["Authorization"] = ["Bearer " + (string)context.UserState[AgentCallState.TokenKey]];
            response = await handler.HandleAsync(agent, request with { Headers = headers }, cancellationToken);
        }
        else if (settings.Options.GitlabInternalApiUrl is { } gitlab)
        {
            response = await ForwardAsync(gitlab, moduleName, request, (string)context.UserState[AgentCallState.TokenKey], cancellationToken);
        }
        else
        {
            response = new AgentModuleResponse(404, new Dictionary<string, IReadOnlyList<string>> { ["Content-Type"] = ["text/plain; charset=utf-8"] },
                System.Text.Encoding.UTF8.GetBytes($"no handler for agent module '{moduleName}' on this KAS and no GitLab internal API configured\n"));
        }

        await WriteResponseAsync(responseStream, response, cancellationToken);
    }

    private async Task<(string Module, AgentModuleRequest Request)> ReadRequestAsync(IAsyncStreamReader<HttpRequest> stream, CancellationToken cancellationToken)
    {
        if (!await stream.MoveNext(cancellationToken) || stream.Current.MessageCase != HttpRequest.MessageOneofCase.Header)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message must be a header"));
        }

        var header = stream.Current.Header;
        if (header.Request is null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "header.request is required"));
        }

        if (header.Extra is null || !header.Extra.TryUnpack<HeaderExtra>(out var extra) || string.IsNullOrEmpty(extra.ModuleName))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "header.extra must be a gitlab.agent.gitlab_access.rpc.HeaderExtra with module_name"));
        }

        using var body = new MemoryStream();
        var trailer = false;
        while (await stream.MoveNext(cancellationToken))
        {
            var message = stream.Current;
            switch (message.MessageCase)
            {
                case HttpRequest.MessageOneofCase.Data when !trailer:
                    if (body.Length + message.Data.Data_.Length > settings.MaxMessageSize)
                    {
                        throw new RpcException(new Status(StatusCode.ResourceExhausted, $"request body exceeds {settings.MaxMessageSize} bytes"));
                    }

                    message.Data.Data_.WriteTo(body);
                    break;
                case HttpRequest.MessageOneofCase.Trailer when !trailer:
                    trailer = true;
                    break;
                default:
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"unexpected {message.MessageCase} message; expected header → data* → trailer"));
            }
        }

        if (!trailer)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the request ended without a trailer"));
        }

        var r = header.Request;
        return (extra.ModuleName, new AgentModuleRequest(r.Method, string.IsNullOrEmpty(r.UrlPath) ? "/" : r.UrlPath, ToDictionary(r.Query), ToDictionary(r.Header), body.ToArray()));
    }

    private async Task<AgentModuleResponse> ForwardAsync(Uri gitlab, string module, AgentModuleRequest request, string agentToken, CancellationToken cancellationToken)
    {
        var query = string.Join('&', request.Query.SelectMany(kv => kv.Value.Select(v => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(v))));
        var url = new Uri(gitlab, $"api/v4/internal/kubernetes/modules/{Uri.EscapeDataString(module)}{request.UrlPath}{(query.Length > 0 ? "?" + query : "")}");
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), url);
        if (request.Body.Length > 0)
        {
            message.Content = new ReadOnlyMemoryContent(request.Body);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) || name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(name, values))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, values);
            }
        }

        message.Headers.TryAddWithoutValidation("Authorization", "Bearer " + agentToken);
        var client = httpClientFactory.CreateClient(HttpClientName);
        try
        {
            using var response = await client.SendAsync(message, cancellationToken);
            var headers = response.Headers.Concat(response.Content.Headers).ToDictionary(h => h.Key, h => (IReadOnlyList<string>)h.Value.ToArray(), StringComparer.OrdinalIgnoreCase);
            return new AgentModuleResponse((int)response.StatusCode, headers, await response.Content.ReadAsByteArrayAsync(cancellationToken));
        }
        catch (HttpRequestException ex)
        {
            return new AgentModuleResponse(502, new Dictionary<string, IReadOnlyList<string>>(), System.Text.Encoding.UTF8.GetBytes($"GitLab request failed: {ex.Message}\n"));
        }
    }

    private static async Task WriteResponseAsync(IServerStreamWriter<HttpResponse> stream, AgentModuleResponse response, CancellationToken cancellationToken)
    {
        var header = new Protocol.Prototool.HttpResponse
        {
            StatusCode = response.StatusCode,
            Status = $"{response.StatusCode} {Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(response.StatusCode)}".TrimEnd(),
        };
        foreach (var (name, values) in response.Headers)
        {
            var v = new Values();
            v.Value.AddRange(values);
            header.Header[name] = v;
        }

        await stream.WriteAsync(new HttpResponse { Header = new HttpResponse.Types.Header { Response = header } }, cancellationToken);
        for (var offset = 0; offset < response.Body.Length; offset += ChunkSize)
        {
            var chunk = response.Body.Slice(offset, Math.Min(ChunkSize, response.Body.Length - offset));
            await stream.WriteAsync(new HttpResponse { Data = new HttpResponse.Types.Data { Data_ = ByteString.CopyFrom(chunk.Span) } }, cancellationToken);
        }

        await stream.WriteAsync(new HttpResponse { Trailer = new HttpResponse.Types.Trailer() }, cancellationToken);
    }

    private static Dictionary<string, IReadOnlyList<string>> ToDictionary(Google.Protobuf.Collections.MapField<string, Values> map) =>
        map.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value.Value.ToArray(), StringComparer.OrdinalIgnoreCase);
}

/// <summary>Built-in module: <c>GitlabAccess</c> on the agent listener.</summary>
internal sealed class GitlabAccessModule : IKasModule
{
    public string Name => "gitlab_access";

    public void MapEndpoints(KasListener listener, IEndpointRouteBuilder endpoints)
    {
        if (listener == KasListener.Agent)
        {
            endpoints.MapGrpcService<GitlabAccessService>();
        }
    }
}
