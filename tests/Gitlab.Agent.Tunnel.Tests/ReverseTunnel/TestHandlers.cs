using Gitlab.Agent.Protocol.Grpctool;
using Gitlab.Agent.Tunnel.Agent;
using Google.Protobuf;
using Grpc.Core;

namespace Gitlab.Agent.Tunnel.Tests.ReverseTunnel;

/// <summary>Serves KubernetesApi/MakeRequest by echoing data frames; behaviour steered by the first header's method.</summary>
internal sealed class EchoHandler : IAgentTunnelHandler
{
    public int Started;
    public int Cancelled;
    public readonly TaskCompletionSource Release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string ServiceName => "gitlab.agent.kubernetes_api.rpc.KubernetesApi";

    public IReadOnlyList<string> MethodNames { get; } = ["MakeRequest"];

    public async Task HandleAsync(AgentTunnelCall call, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Started);
        try
        {
            await foreach (var raw in call.ReadRequestsAsync(cancellationToken))
            {
                var request = HttpRequest.Parser.ParseFrom(raw);
                switch (request.MessageCase)
                {
                    case HttpRequest.MessageOneofCase.Header:
                        var mode = request.Header.Request.Method;
                        if (mode == "FAIL")
                        {
                            throw new RpcException(new Status(StatusCode.PermissionDenied, "no you don't"));
                        }

                        if (mode == "BLOCK")
                        {
                            await Release.Task.WaitAsync(cancellationToken);
                        }

                        var meta = new Metadata { { "x-echo-method", mode } };
                        if (call.RequestHeaders.GetValue("x-caller") is { } caller)
                        {
                            meta.Add("x-caller", caller);
                        }

                        await call.SendHeadersAsync(meta, cancellationToken);
                        break;
                    case HttpRequest.MessageOneofCase.Data:
                        await call.SendMessageAsync(new HttpResponse { Data = new HttpResponse.Types.Data { Data_ = request.Data.Data_ } }.ToByteString(), cancellationToken);
                        break;
                    case HttpRequest.MessageOneofCase.Trailer:
                        if (request.Trailer is not null && call.RequestHeaders.GetValue("x-fail-late") is not null)
                        {
                            throw new RpcException(new Status(StatusCode.ResourceExhausted, "late failure"));
                        }

                        break;
                }
            }

            call.ResponseTrailers.Add("x-done", "yes");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref Cancelled);
            throw;
        }
    }
}
