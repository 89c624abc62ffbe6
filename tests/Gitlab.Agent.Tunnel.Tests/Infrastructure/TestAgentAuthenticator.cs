using System.Collections.Concurrent;
using Gitlab.Agent.Kas.Modules;

namespace Gitlab.Agent.Tunnel.Tests.Infrastructure;

/// <summary>Agent tokens known to a test KAS.</summary>
public sealed class TestAgentAuthenticator : IAgentAuthenticator
{
    private readonly ConcurrentDictionary<string, AgentIdentity> _tokens = new();

    public TestAgentAuthenticator Add(string token, AgentIdentity identity)
    {
        _tokens[token] = identity;
        return this;
    }

    public void Revoke(string token) => _tokens.TryRemove(token, out _);

    public ValueTask<AgentIdentity?> AuthenticateAsync(string token, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_tokens.TryGetValue(token, out var identity) ? identity : null);
}
