using Gitlab.Agent.Protocol.KasCfg;
using Google.Protobuf.WellKnownTypes;

namespace Gitlab.Agent.TestUtilities;

/// <summary>KAS configurations for tests and benchmarks that start a real KAS in-process.</summary>
public static class KasTestConfiguration
{
    /// <summary>
    /// KAS on loopback: the agent, API and observability listeners on 127.0.0.1 port 0 (chosen at run time), bare
    /// repositories in <c>repositories</c> and the SQLite registry <c>kas.db</c> under <paramref name="directory"/>.
    /// <paramref name="pollPeriod"/>, when given, is both the agent configuration and the repository poll period
    /// (otherwise KAS's defaults apply). The caller adjusts the rest (TLS, kubernetes_api listener, gitops …).
    /// </summary>
    public static ConfigurationFile Loopback(TempDirectory directory, TimeSpan? pollPeriod = null)
    {
        var configuration = new ConfigurationFile
        {
            Agent = new AgentCF { Listen = new AgentListenCF { Address = "127.0.0.1:0" } },
            Api = new ApiCF { Listen = new ListenCF { Address = "127.0.0.1:0" } },
            Observability = new ObservabilityCF { Listen = new ListenCF { Address = "127.0.0.1:0" } },
            Repositories = new RepositoriesCF { Directory = directory.Combine("repositories") },
            Registry = new RegistryCF { Sqlite = new SqliteCF { Path = directory.Combine("kas.db") } },
        };
        if (pollPeriod is { } period)
        {
            configuration.Agent.Configuration = new AgentConfigurationCF { PollPeriod = Duration.FromTimeSpan(period) };
            configuration.Repositories.PollPeriod = Duration.FromTimeSpan(period);
        }

        return configuration;
    }
}
