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
    private bool _registered;

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

    /// <summary>Set once <c>AgentRegistrar/Register</c> succeeded: GetConfiguration then asks KAS not to register again.</summary>
    internal bool RegisteredWithRegistrar { get => Volatile.Read(ref _registered); set => Volatile.Write(ref _registered, value); }

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
