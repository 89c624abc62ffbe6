using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.TestUtilities;

namespace Gitlab.Agent.Agentk.Tests.Kas;

/// <summary>Small writes share one inner write and flush; large writes pass straight through; order always holds.</summary>
public sealed class CoalescingWriteStreamTests
{
    [Fact]
    public async Task Messages_written_while_a_write_is_in_flight_leave_together()
    {
        // The first inner write is held until all five messages are written: whatever the thread pool does, the
        // messages after the first go out in one write, in order.
        var inner = new RecordingStream { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var stream = new CoalescingWriteStream(inner);
        for (var i = 0; i < 5; i++)
        {
            await stream.WriteAsync(new byte[] { (byte)i, (byte)i });
            await stream.FlushAsync();
        }

        await Eventually.TrueAsync(() => Task.FromResult(inner.Attempts == 1), "the first queued flush is writing");
        inner.Gate.SetResult();
        await Eventually.TrueAsync(() => Task.FromResult(inner.Writes.Sum(w => w.Length) == 10 && inner.Flushes >= 1), "everything flushed");

        Assert.InRange(inner.Writes.Count, 1, 2);
        Assert.Equal(new byte[] { 0, 0, 1, 1, 2, 2, 3, 3, 4, 4 }, inner.Writes.SelectMany(w => w).ToArray());
    }

    [Fact]
    public async Task Large_writes_follow_what_is_buffered_and_keep_the_order()
    {
        var inner = new RecordingStream();
        await using var stream = new CoalescingWriteStream(inner);
        var large = Enumerable.Range(0, CoalescingWriteStream.DirectWriteSize).Select(i => (byte)i).ToArray();

        await stream.WriteAsync(new byte[] { 1, 2, 3 });
        await stream.WriteAsync(large);
        await stream.WriteAsync(new byte[] { 4 });
        await stream.DrainAsync(CancellationToken.None);

        Assert.Equal([[1, 2, 3], large, [4]], inner.Writes);
        Assert.Equal([1, 2, 3, .. large, 4], inner.Writes.SelectMany(w => w).ToArray());
        Assert.True(inner.Flushes >= 1);
    }

    [Fact]
    public async Task A_buffer_that_grows_past_the_direct_size_is_written_without_waiting_for_a_flush()
    {
        var inner = new RecordingStream();
        await using var stream = new CoalescingWriteStream(inner);
        var chunk = new byte[1000];
        for (var i = 0; i * chunk.Length < CoalescingWriteStream.DirectWriteSize; i++)
        {
            await stream.WriteAsync(chunk);
        }

        Assert.Single(inner.Writes);
        Assert.Equal(0, inner.Flushes);
    }

    [Fact]
    public async Task A_failed_write_surfaces_on_the_next_write()
    {
        var inner = new RecordingStream { Fail = true };
        await using var stream = new CoalescingWriteStream(inner);
        await stream.WriteAsync(new byte[] { 1 });
        await stream.FlushAsync();
        await Eventually.TrueAsync(() => Task.FromResult(inner.Attempts > 0), "the queued flush tried to write");

        var error = await Assert.ThrowsAsync<IOException>(async () =>
        {
            // The queued flush may still be finishing: keep writing until the recorded failure shows.
            for (var i = 0; i < 100; i++)
            {
                await stream.WriteAsync(new byte[] { 2 });
                await Task.Delay(10);
            }
        });
        Assert.Contains("peer reset", error.Message, StringComparison.Ordinal);
    }

    private sealed class RecordingStream : MemoryStream
    {
        private readonly object _lock = new();

        public List<byte[]> Writes { get; } = [];

        public int Flushes { get; private set; }

        public int Attempts { get; private set; }

        public bool Fail { get; init; }

        public TaskCompletionSource? Gate { get; init; }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int attempt;
            lock (_lock)
            {
                attempt = ++Attempts;
                if (Fail)
                {
                    throw new IOException("peer reset");
                }
            }

            if (attempt == 1 && Gate is not null)
            {
                await Gate.Task;
            }

            lock (_lock)
            {
                Writes.Add(buffer.ToArray());
            }
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                Flushes++;
            }

            return Task.CompletedTask;
        }
    }
}
