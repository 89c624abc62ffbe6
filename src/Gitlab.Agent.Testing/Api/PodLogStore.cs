using System.Text;

namespace Gitlab.Agent.Testing.Api;

/// <summary>Test-provided pod log content, per pod and container; followers are woken on append and close.</summary>
internal sealed class PodLogStore
{
    private readonly Lock _sync = new();
    private readonly Dictionary<string, Buffer> _buffers = new(StringComparer.Ordinal);

    internal sealed class Buffer
    {
        public StringBuilder Text { get; } = new();

        public bool Closed { get; set; }

        public TaskCompletionSource Changed { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static string Key(string ns, string pod, string? container) => $"{ns}/{pod}/{container ?? "*"}";

    public void Set(string ns, string pod, string? container, string content, bool append, bool close)
    {
        TaskCompletionSource wake;
        lock (_sync)
        {
            var key = Key(ns, pod, container);
            if (!_buffers.TryGetValue(key, out var buffer))
            {
                buffer = new Buffer();
                _buffers[key] = buffer;
            }

            if (!append)
            {
                buffer.Text.Clear();
            }

            buffer.Text.Append(content);
            buffer.Closed |= close;
            wake = buffer.Changed;
            buffer.Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        wake.TrySetResult();
    }

    /// <summary>Text from <paramref name="offset"/>, whether the log is closed, and a task completing on the next change.</summary>
    public (string Text, bool Closed, Task Changed) Read(string ns, string pod, string container, int offset)
    {
        lock (_sync)
        {
            if (!_buffers.TryGetValue(Key(ns, pod, container), out var buffer) && !_buffers.TryGetValue(Key(ns, pod, null), out buffer))
            {
                buffer = new Buffer();
                _buffers[Key(ns, pod, null)] = buffer;
            }

            var text = offset < buffer.Text.Length ? buffer.Text.ToString(offset, buffer.Text.Length - offset) : string.Empty;
            return (text, buffer.Closed, buffer.Changed.Task);
        }
    }
}
