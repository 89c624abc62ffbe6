using Gitlab.Agent.Protocol.ReverseTunnel;
using Gitlab.Agent.Protocol.ReverseTunnel.Info;
using Google.Protobuf;
using Grpc.Core;

namespace Gitlab.Agent.Tunnel.Server;

/// <summary>A <c>ReverseTunnel/Connect</c> stream parked at this KAS.</summary>
internal sealed class ServerTunnel(
    long id,
    long agentId,
    AgentDescriptor descriptor,
    IAsyncStreamReader<ConnectRequest> requests,
    IServerStreamWriter<ConnectResponse> responses,
    System.IO.Pipelines.PipeWriter responseBody) : ITunnel
{
    private static readonly WriteOptions s_buffered = new(WriteFlags.BufferHint);

    internal const int Idle = 0;
    internal const int Claimed = 1;
    internal const int Closed = 2;

    private readonly TaskCompletionSource _claimed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task<bool>? _pendingRead;

    public long Id { get; } = id;

    public long AgentId { get; } = agentId;

    public AgentDescriptor Descriptor { get; } = descriptor;

    /// <summary>Changed only under the registry's per-agent lock.</summary>
    public int State { get; set; }

    public Task ClaimedTask => _claimed.Task;

    public Task Done => _done.Task;

    public bool Supports(string service, string method)
    {
        foreach (var s in Descriptor.Services)
        {
            if (s.Name == service)
            {
                foreach (var m in s.Methods)
                {
                    if (m.Name == method)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>Starts the read that notices an agent closing the idle stream; a claimer consumes its result.</summary>
    public Task<bool> StartIdleRead(CancellationToken cancellationToken) => _pendingRead = requests.MoveNext(cancellationToken);

    public void SignalClaimed() => _claimed.TrySetResult();

    public async ValueTask SendAsync(ConnectResponse frame, bool buffered, CancellationToken cancellationToken)
    {
        // A buffered write only appends to the response; the next unbuffered write or FlushAsync sends it.
        responses.WriteOptions = buffered ? s_buffered : null;
        await responses.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken) => await responseBody.FlushAsync(cancellationToken).ConfigureAwait(false);

    public async ValueTask<ConnectRequest?> ReadAsync(CancellationToken cancellationToken)
    {
        bool hasNext;
        if (_pendingRead is { } pending)
        {
            _pendingRead = null;
            hasNext = await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            hasNext = await requests.MoveNext(cancellationToken).ConfigureAwait(false);
        }

        return hasNext ? requests.Current : null;
    }

    public void Complete() => _done.TrySetResult();

    internal static ByteString Wrap(ReadOnlyMemory<byte> data) => UnsafeByteOperations.UnsafeWrap(data);
}
