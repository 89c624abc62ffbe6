using System.Globalization;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gitlab.Agent.Shared;
using Gitlab.Agent.Testing.Registry;
using Gitlab.Agent.Testing.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gitlab.Agent.Testing.Api;

/// <summary><c>pods/log</c> (test-provided text, optional follow), <c>pods/exec</c> and <c>pods/attach</c> over the v4/v5.channel.k8s.io WebSocket protocol.</summary>
internal sealed class PodIoHandler
{
    private const byte StdinChannel = 0;
    private const byte StdoutChannel = 1;
    private const byte StderrChannel = 2;
    private const byte ErrorChannel = 3;
    private const byte ResizeChannel = 4;
    private const byte CloseChannel = 255;
    private readonly ApiServerCore _core;

    public PodIoHandler(ApiServerCore core) => _core = core;

    public PodLogStore Logs { get; } = new();

    public Func<ExecRequest, ExecSession, CancellationToken, Task<int>>? ExecHandler { get; set; }

    public Func<ExecRequest, ExecSession, CancellationToken, Task<int>>? AttachHandler { get; set; }

    public async Task HandleAsync(HttpContext http, ResourceType type, string ns, string name, string sub, RequestUser user)
    {
        var pod = _core.Store.Get(type.StorageKey, ns, name) ?? throw KubeApiException.NotFound(string.Empty, "pods", name);
        JsonObject podObj = pod.Clone();
        var containers = (podObj["spec"]?["containers"] as JsonArray)?.Select(c => c?["name"]?.GetValue<string>() ?? string.Empty).ToList() ?? [];
        var container = http.Request.Query["container"].FirstOrDefault();
        if (string.IsNullOrEmpty(container))
        {
            if (containers.Count != 1)
            {
                throw KubeApiException.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(" ", containers)}]");
            }

            container = containers[0];
        }
        else if (!containers.Contains(container))
        {
            throw KubeApiException.BadRequest($"container {container} is not valid for pod {name}");
        }

        if (sub == "log")
        {
            if (http.Request.Method != "GET")
            {
                throw KubeApiException.MethodNotAllowed();
            }

            await LogAsync(http, ns, name, container);
        }
        else
        {
            var phase = podObj["status"]?["phase"]?.GetValue<string>() ?? "Pending";
            if (phase != "Running")
            {
                var action = sub == "attach" ? "attach to" : "exec into";
                throw KubeApiException.BadRequest($"cannot {action} pod {name}: it is not running; current phase is {phase}");
            }

            await RemoteCommandAsync(http, ns, name, container, user, attach: sub == "attach");
        }
    }

    private async Task LogAsync(HttpContext http, string ns, string pod, string container)
    {
        var q = http.Request.Query;
        var follow = q["follow"].FirstOrDefault() is "true" or "1";
        var tail = int.TryParse(q["tailLines"].FirstOrDefault(), CultureInfo.InvariantCulture, out var t) ? t : -1;
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.StatusCode = 200;
        http.Response.ContentType = "text/plain";
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _core.Stopping);
        var ct = cts.Token;
        var (text, closed, changed) = Logs.Read(ns, pod, container, 0);
        var offset = text.Length;
        if (tail >= 0)
        {
            var lines = text.Split('\n');
            var hasTrailingNewline = text.EndsWith('\n');
            var content = hasTrailingNewline ? lines[..^1] : lines;
            text = string.Join("\n", content.Skip(Math.Max(0, content.Length - tail))) + (hasTrailingNewline && tail > 0 ? "\n" : string.Empty);
        }

        await http.Response.StartAsync(ct);
        await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
        await http.Response.Body.FlushAsync(ct);
        try
        {
            while (follow && !closed)
            {
                await changed.WaitAsync(TimeSpan.FromSeconds(1), ct).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                ct.ThrowIfCancellationRequested();
                if (_core.Store.Get("/pods", ns, pod) is null)
                {
                    return;
                }

                (text, closed, changed) = Logs.Read(ns, pod, container, offset);
                offset += text.Length;
                if (text.Length > 0)
                {
                    await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
                    await http.Response.Body.FlushAsync(ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // client stopped following
        }
    }

    /// <summary>
    /// Serves <c>pods/exec</c> or <c>pods/attach</c> on an upgraded WebSocket. Attach has no command and, like a kubelet,
    /// reports Success when the session ends whatever the handler returns (only a thrown error becomes a Failure status).
    /// </summary>
    private async Task RemoteCommandAsync(HttpContext http, string ns, string pod, string container, RequestUser user, bool attach)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            throw KubeApiException.BadRequest("Upgrade request required");
        }

        var protocols = http.WebSockets.WebSocketRequestedProtocols;
        var protocol = protocols.Contains("v5.channel.k8s.io") ? "v5.channel.k8s.io"
            : protocols.Contains("v4.channel.k8s.io") ? "v4.channel.k8s.io"
            : throw KubeApiException.BadRequest("unable to upgrade connection: no supported protocol (v5.channel.k8s.io, v4.channel.k8s.io) requested");
        var q = http.Request.Query;
        List<string> command = attach ? [] : q["command"].Where(c => c is not null).Select(c => c!).ToList();
        if (!attach && command.Count == 0)
        {
            throw KubeApiException.BadRequest("you must specify at least 1 command");
        }

        var request = new ExecRequest(ns, pod, container, command, q["stdin"].FirstOrDefault() is "true" or "1", q["tty"].FirstOrDefault() is "true" or "1", user.Name);
        using var socket = await http.WebSockets.AcceptWebSocketAsync(protocol);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _core.Stopping);
        var ct = cts.Token;
        var sendLock = new SemaphoreSlim(1, 1);
        var stdin = new Pipe();
        if (!request.Stdin)
        {
            await stdin.Writer.CompleteAsync();
        }

        var session = new ExecSession(
            stdin.Reader.AsStream(),
            new ChannelStream(socket, StdoutChannel, sendLock, ct),
            new ChannelStream(socket, StderrChannel, sendLock, ct),
            ct);
        var reader = Task.Run(() => ReadClientAsync(socket, stdin.Writer, request.Stdin, ct), ct);
        JsonObject status;
        try
        {
            var handler = attach ? AttachHandler : ExecHandler;
            if (handler is null)
            {
                status = new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Failure", ["message"] = $"no {(attach ? "attach" : "exec")} handler is configured on the test API server", ["reason"] = "InternalError" };
            }
            else
            {
                var exitCode = await handler(request, session, ct);
                status = exitCode == 0 || attach
                    ? new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success" }
                    : new JsonObject
                    {
                        ["metadata"] = new JsonObject(),
                        ["status"] = "Failure",
                        ["message"] = $"command terminated with non-zero exit code: error executing command [{string.Join(" ", command)}], exit code {exitCode}",
                        ["reason"] = "NonZeroExitCode",
                        ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = exitCode.ToString(CultureInfo.InvariantCulture) }) },
                    };
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var message = attach ? "error attaching to container: " + e.Message : e.Message;
            status = new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Failure", ["message"] = message, ["reason"] = "InternalError" };
        }

        try
        {
            await SendAsync(socket, ErrorChannel, JsonSerializer.SerializeToUtf8Bytes(status, JsonOptions.Compact), sendLock, ct);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, ct);
            await reader.WaitAsync(TimeSpan.FromSeconds(5), ct).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client went away
        }
    }

    private static async Task ReadClientAsync(WebSocket socket, PipeWriter stdin, bool stdinOpen, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, ct);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    await message.WriteAsync(buffer.AsMemory(0, result.Count), ct);
                }
                while (!result.EndOfMessage);

                var data = message.ToArray();
                if (data.Length == 0)
                {
                    continue;
                }

                switch (data[0])
                {
                    case StdinChannel when stdinOpen:
                        await stdin.WriteAsync(data.AsMemory(1), ct);
                        break;
                    case CloseChannel when data.Length > 1 && data[1] == StdinChannel && stdinOpen:
                        stdinOpen = false;
                        await stdin.CompleteAsync();
                        break;
                    case ResizeChannel:
                        break;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // connection ended
        }
        finally
        {
            if (stdinOpen)
            {
                await stdin.CompleteAsync();
            }
        }
    }

    private static async Task SendAsync(WebSocket socket, byte channel, ReadOnlyMemory<byte> data, SemaphoreSlim sendLock, CancellationToken ct)
    {
        var frame = new byte[data.Length + 1];
        frame[0] = channel;
        data.CopyTo(frame.AsMemory(1));
        await sendLock.WaitAsync(ct);
        try
        {
            await socket.SendAsync(frame, WebSocketMessageType.Binary, true, ct);
        }
        finally
        {
            sendLock.Release();
        }
    }

    /// <summary>A write-only stream that sends each write as one frame on a remote-command channel.</summary>
    private sealed class ChannelStream(WebSocket socket, byte channel, SemaphoreSlim sendLock, CancellationToken ct) : WriteOnlyStream
    {
        public override void Write(byte[] buffer, int offset, int count) =>
            WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length > 0)
            {
                await SendAsync(socket, channel, buffer, sendLock, ct);
            }
        }
    }
}
