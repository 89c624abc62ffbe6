using Gitlab.Agent.Protocol.GitlabAccess;
using Gitlab.Agent.Protocol.Grpctool;
using Gitlab.Agent.Protocol.Prototool;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Gitlab.Agent.Agentk.Kas;

/// <summary>
/// <see cref="IGitlabAccessClient"/> over <c>GitlabAccess/MakeRequest</c>: sends header (with
/// <c>gitlab_access.rpc.HeaderExtra{module_name}</c> in <c>extra</c>), body chunks of at most 32 KiB, trailer and
/// half-close, then reads header, data and trailer.
/// </summary>
internal sealed class GitlabAccessClient(IKasConnection connection) : IGitlabAccessClient
{
    internal const int ChunkSize = 32 * 1024;

    public async Task<GitlabAccessResponse> SendAsync(
        string moduleName,
        string method,
        string urlPath,
        ReadOnlyMemory<byte> body,
        IReadOnlyDictionary<string, string>? headers = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(moduleName);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentException.ThrowIfNullOrEmpty(urlPath);

        var client = new GitlabAccess.GitlabAccessClient(connection.CallInvoker);
        using var call = client.MakeRequest(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new Protocol.Grpctool.HttpRequest { Header = BuildHeader(moduleName, method, urlPath, body.Length, headers) }, cancellationToken);
        for (var offset = 0; offset < body.Length; offset += ChunkSize)
        {
            var chunk = body.Slice(offset, Math.Min(ChunkSize, body.Length - offset));
            await call.RequestStream.WriteAsync(
                new Protocol.Grpctool.HttpRequest { Data = new Protocol.Grpctool.HttpRequest.Types.Data { Data_ = ByteString.CopyFrom(chunk.Span) } },
                cancellationToken);
        }

        await call.RequestStream.WriteAsync(new Protocol.Grpctool.HttpRequest { Trailer = new Protocol.Grpctool.HttpRequest.Types.Trailer() }, cancellationToken);
        await call.RequestStream.CompleteAsync();

        int? status = null;
        using var responseBody = new MemoryStream();
        await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            switch (message.MessageCase)
            {
                case Protocol.Grpctool.HttpResponse.MessageOneofCase.Header when status is null:
                    status = message.Header.Response?.StatusCode ?? 0;
                    break;
                case Protocol.Grpctool.HttpResponse.MessageOneofCase.Data when status is not null:
                    message.Data.Data_.WriteTo(responseBody);
                    break;
                case Protocol.Grpctool.HttpResponse.MessageOneofCase.Trailer when status is not null:
                    break;
                default:
                    throw new InvalidOperationException(
                        $"GitlabAccess/MakeRequest for module '{moduleName}': KAS sent '{message.MessageCase}' out of order (expected header, data…, trailer).");
            }
        }

        if (status is null)
        {
            throw new InvalidOperationException($"GitlabAccess/MakeRequest for module '{moduleName}': KAS ended the response without a header.");
        }

        return new GitlabAccessResponse(status.Value, responseBody.ToArray());
    }

    internal static Protocol.Grpctool.HttpRequest.Types.Header BuildHeader(
        string moduleName, string method, string urlPath, int contentLength, IReadOnlyDictionary<string, string>? headers)
    {
        var question = urlPath.IndexOf('?', StringComparison.Ordinal);
        var request = new Protocol.Prototool.HttpRequest
        {
            Method = method,
            UrlPath = question < 0 ? urlPath : urlPath[..question],
        };
        if (question >= 0)
        {
            foreach (var pair in urlPath[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
                var value = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
                if (!request.Query.TryGetValue(key, out var values))
                {
                    values = new Values();
                    request.Query[key] = values;
                }

                values.Value.Add(value);
            }
        }

        if (headers is not null)
        {
            foreach (var (name, value) in headers)
            {
                request.Header[name] = new Values { Value = { value } };
            }
        }

        return new Protocol.Grpctool.HttpRequest.Types.Header
        {
            Request = request,
            Extra = Any.Pack(new HeaderExtra { ModuleName = moduleName }),
            ContentLength = contentLength,
        };
    }
}
