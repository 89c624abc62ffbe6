using Grpc.Core;

namespace Gitlab.Agent.Agentk.Kas;

/// <summary>
/// The agent's connection to KAS: one channel for every module, carrying <c>authorization: Bearer &lt;token&gt;</c>,
/// the <c>--kas-header</c> values and gzip compression on every call.
/// </summary>
public interface IKasConnection
{
    /// <summary>The KAS address (<c>grpc://</c>, <c>grpcs://</c>, <c>ws://</c> or <c>wss://</c>).</summary>
    Uri Address { get; }

    /// <summary>Call invoker for generated gRPC clients, e.g. <c>new Gitops.GitopsClient(connection.CallInvoker)</c>.</summary>
    CallInvoker CallInvoker { get; }
}
