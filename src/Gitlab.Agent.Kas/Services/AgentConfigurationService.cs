using Gitlab.Agent.Config;
using Gitlab.Agent.Kas.Diagnostics;
using Gitlab.Agent.Kas.Modules;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Kas.Repositories;
using Gitlab.Agent.Protocol.AgentConfiguration;
using Gitlab.Agent.Protocol.Entity;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using AgentConfigurationRpc = Gitlab.Agent.Protocol.AgentConfiguration.AgentConfiguration;

namespace Gitlab.Agent.Kas.Services;

/// <summary>
/// <c>AgentConfiguration/GetConfiguration</c>: streams the agent's <c>.gitlab/agents/&lt;name&gt;/config.yaml</c> from the
/// default branch of its configuration project. A message is sent when the file content differs from what the agent
/// has; invalid files are logged and recorded in the registry, and the agent keeps its last valid configuration.
/// </summary>
internal sealed class AgentConfigurationService(
    IRepositorySource repositories,
    ProjectChangeNotifier notifier,
    IAgentRegistry registry,
    KasRuntimeSettings settings,
    KasMetrics metrics,
    TimeProvider timeProvider,
    ILogger<AgentConfigurationService> logger) : AgentConfigurationRpc.AgentConfigurationBase
{
    public override async Task GetConfiguration(ConfigurationRequest request, IServerStreamWriter<ConfigurationResponse> responseStream, ServerCallContext context)
    {
        var agent = context.GetAgentIdentity();
        var cancellationToken = context.CancellationToken;
        var meta = request.AgentMeta ?? new AgentMeta();
        WarnOnVersionSkew(agent, meta);

        // Subscribe before the first poll so that a push between the poll and the wait is not missed.
        using var changes = notifier.Subscribe(agent.ProjectPath);
        var register = !request.SkipRegister;
        var connectionId = Random.Shared.NextInt64(1, long.MaxValue);
        var state = new StreamState(request.CommitId);
        metrics.AgentConnected();
        try
        {
            var lastSeenWrite = DateTimeOffset.MinValue;
            state.LastContent = await ReadAtAsync(agent, request.CommitId, cancellationToken);
            while (!cancellationToken.IsCancellationRequested)
            {
                if (await context.ReauthenticateAgentAsync(cancellationToken) is null)
                {
                    metrics.AuthenticationFailed("revoked_during_stream");
                    throw new RpcException(new Status(StatusCode.Unauthenticated, "the agent token was revoked"));
                }

                var now = timeProvider.GetUtcNow();
                if (register && now - lastSeenWrite >= settings.ConnectionTtl / 4)
                {
                    await registry.RecordConnectionAsync(ConnectionRecord(agent, connectionId, meta, now), cancellationToken);
                    lastSeenWrite = now;
                }

                await PollAsync(agent, state, responseStream, cancellationToken);
                await changes.WaitAsync(settings.ConfigurationPollPeriod, timeProvider, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Client went away or max connection age reached.
        }
        finally
        {
            metrics.AgentDisconnected();
            if (register)
            {
                try
                {
                    await registry.RecordDisconnectionAsync(agent.AgentId, connectionId, CancellationToken.None);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    KasLog.RegistryWriteFailed(logger, ex, agent.AgentId);
                }
            }
        }
    }

    private async Task PollAsync(AgentIdentity agent, StreamState state, IServerStreamWriter<ConfigurationResponse> stream, CancellationToken cancellationToken)
    {
        var path = AgentConfigurationFile.PathFor(agent.AgentName);
        string? commit = null;
        byte[] content;
        try
        {
            commit = await repositories.ResolveCommitAsync(agent.ProjectPath, null, cancellationToken);
            if (commit == state.LastCommit)
            {
                KasLog.ConfigNoUpdates(logger, agent.AgentId, agent.ProjectId, commit);
                return;
            }

            content = await repositories.ReadFileAsync(agent.ProjectPath, commit, path, settings.MaxConfigurationFileSize, cancellationToken) ?? [];
        }
        catch (RepositoryException ex) when (ex.Kind == RepositoryErrorKind.TooLarge)
        {
            var error = $"{path}: {ex.Message}";
            await RejectAsync(agent, state, commit ?? state.LastCommit, error, cancellationToken);
            return;
        }
        catch (RepositoryException ex)
        {
            KasLog.ConfigFailedToFetch(logger, agent.AgentId, agent.ProjectId, ex.Message);
            return;
        }

        if (state.LastContent is not null && content.AsSpan().SequenceEqual(state.LastContent))
        {
            // A commit that did not touch the file: nothing to send, but remember the commit.
            state.LastCommit = commit;
            KasLog.ConfigNoUpdates(logger, agent.AgentId, agent.ProjectId, commit);
            return;
        }

        Protocol.AgentCfg.ConfigurationFile file;
        try
        {
            file = AgentConfigurationFile.Parse(content, path);
        }
        catch (ConfigurationException ex)
        {
            await RejectAsync(agent, state, commit, ex.Message, cancellationToken);
            return;
        }

        KasLog.ConfigNewCommit(logger, agent.AgentId, agent.ProjectId, commit);
        var configuration = AgentConfigurationFile.ToAgentConfiguration(file, agent.AgentId, agent.ProjectId, agent.ProjectPath);
        await stream.WriteAsync(new ConfigurationResponse { Configuration = configuration, CommitId = commit }, cancellationToken);
        metrics.ConfigurationSent();
        state.LastCommit = commit;
        state.LastContent = content;
        await registry.RecordConfigurationAppliedAsync(agent.AgentId, commit, cancellationToken);
    }

    private async Task RejectAsync(AgentIdentity agent, StreamState state, string commit, string error, CancellationToken cancellationToken)
    {
        // Record before logging: whoever reacts to the log line finds the error in the registry.
        state.LastCommit = commit;
        await registry.RecordConfigurationErrorAsync(agent.AgentId, commit, error, cancellationToken);
        KasLog.ConfigInvalid(logger, agent.AgentId, agent.ProjectId, commit, error);
    }

    /// <summary>The file content at the commit the agent already has, so that unrelated commits are not resent after a reconnect.</summary>
    private async Task<byte[]?> ReadAtAsync(AgentIdentity agent, string commitId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(commitId))
        {
            return null;
        }

        try
        {
            return await repositories.ReadFileAsync(agent.ProjectPath, commitId, AgentConfigurationFile.PathFor(agent.AgentName), settings.MaxConfigurationFileSize, cancellationToken) ?? [];
        }
        catch (RepositoryException)
        {
            return null;
        }
    }

    private void WarnOnVersionSkew(AgentIdentity agent, AgentMeta meta)
    {
        var kas = KasVersion.MajorMinor(settings.Options.Version);
        var agentk = KasVersion.MajorMinor(meta.Version);
        if (kas is not null && agentk is not null && kas != agentk)
        {
            KasLog.VersionSkew(logger, agent.AgentId, meta.Version, settings.Options.Version);
        }
    }

    private static AgentConnectionInfo ConnectionRecord(AgentIdentity agent, long connectionId, AgentMeta meta, DateTimeOffset now) =>
        new(agent.AgentId, connectionId, now, now)
        {
            Version = meta.Version,
            CommitId = meta.CommitId,
            PodNamespace = meta.PodNamespace,
            PodName = meta.PodName,
            KubernetesVersion = meta.KubernetesVersion?.GitVersion,
        };

    private sealed class StreamState(string lastCommit)
    {
        public string LastCommit { get; set; } = lastCommit;

        public byte[]? LastContent { get; set; }
    }
}
