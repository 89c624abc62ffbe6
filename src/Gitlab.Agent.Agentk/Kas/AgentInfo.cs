using Gitlab.Agent.Agentk.Hosting;
using Gitlab.Agent.Protocol.AgentCfg;
using Gitlab.Agent.Protocol.Entity;
using Microsoft.Extensions.Options;

namespace Gitlab.Agent.Agentk.Kas;

/// <summary>Thread-safe <see cref="IAgentInfo"/>: metadata fixed at start plus what the configuration stream taught us.</summary>
internal sealed class AgentInfo(IOptions<AgentkOptions> options) : IAgentInfo
{
    private readonly Lock _lock = new();
    private KubernetesVersion? _kubernetesVersion;
    private long? _agentId;
    private string? _configProjectPath;
    private readonly CancellationTokenSource _registrarUnavailable = new();

    public AgentMeta Meta
    {
        get
        {
            var meta = new AgentMeta
            {
                Version = AgentkVersion.Version,
                CommitId = AgentkVersion.Commit,
                PodNamespace = options.Value.PodNamespace ?? string.Empty,
                PodName = options.Value.PodName ?? string.Empty,
            };
            lock (_lock)
            {
                if (_kubernetesVersion is not null)
                {
                    meta.KubernetesVersion = _kubernetesVersion.Clone();
                }
            }

            return meta;
        }
    }

    public long? AgentId
    {
        get
        {
            lock (_lock)
            {
                return _agentId;
            }
        }
    }

    public string? ConfigProjectPath
    {
        get
        {
            lock (_lock)
            {
                return _configProjectPath;
            }
        }
    }

    /// <summary>
    /// Set when KAS does not implement <c>AgentRegistrar/Register</c>. Until then GetConfiguration sends
    /// <c>skip_register = true</c>, because the registrar registers this pod (one connection record per pod, as upstream).
    /// </summary>
    internal bool RegistrarUnavailable => _registrarUnavailable.IsCancellationRequested;

    /// <summary>Cancelled when <see cref="RegistrarUnavailable"/> becomes true, so an open stream reconnects without skip_register.</summary>
    internal CancellationToken RegistrarUnavailableToken => _registrarUnavailable.Token;

    internal void MarkRegistrarUnavailable() => _registrarUnavailable.Cancel();

    internal bool HasKubernetesVersion
    {
        get
        {
            lock (_lock)
            {
                return _kubernetesVersion is not null;
            }
        }
    }

    internal void SetKubernetesVersion(KubernetesVersion version)
    {
        lock (_lock)
        {
            _kubernetesVersion = version;
        }
    }

    internal void Update(AgentConfiguration configuration)
    {
        lock (_lock)
        {
            _agentId = configuration.AgentId;
            _configProjectPath = string.IsNullOrEmpty(configuration.ProjectPath) ? _configProjectPath : configuration.ProjectPath;
        }
    }
}
