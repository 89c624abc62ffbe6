using System.Text;
using Gitlab.Agent.Config.Yaml;
using Gitlab.Agent.Protocol.AgentCfg;

namespace Gitlab.Agent.Config;

/// <summary>
/// The agent configuration file <c>.gitlab/agents/&lt;agent name&gt;/config.yaml</c>: parsing (strict YAML 1.2 →
/// <see cref="ConfigurationFile"/> with protojson semantics), validation, and conversion to the
/// <see cref="AgentConfiguration"/> that kas sends to agentk.
/// </summary>
/// <remarks>
/// An empty file, a file with only comments, <c>null</c> or a bare <c>---</c> is a valid empty configuration.
/// Every problem is reported (up to 50) as <c>file:line:column: key.path: message</c>; see docs/configuration.md.
/// </remarks>
public static class AgentConfigurationFile
{
    /// <summary>Maximum size of the file in bytes (128 KiB), as in GitLab.</summary>
    public const int MaxSize = 131072;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses and validates UTF-8 YAML.</summary>
    /// <param name="utf8Yaml">The file contents (a UTF-8 byte order mark is allowed).</param>
    /// <param name="fileName">Name used in error messages, normally <see cref="PathFor"/>.</param>
    /// <returns>The configuration; never null.</returns>
    /// <exception cref="ConfigurationException">The file is too large, not UTF-8, not valid YAML, or invalid.</exception>
    public static ConfigurationFile Parse(ReadOnlySpan<byte> utf8Yaml, string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ThrowIfTooLarge(utf8Yaml.Length, fileName);
        if (utf8Yaml.StartsWith("\uFEFF"u8))
        {
            utf8Yaml = utf8Yaml[3..];
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(utf8Yaml);
        }
        catch (DecoderFallbackException)
        {
            throw new ConfigurationException([new ConfigurationError(fileName, 0, 0, string.Empty, "the file is not valid UTF-8")]);
        }

        return ParseText(text, fileName);
    }

    /// <summary>Parses and validates YAML text.</summary>
    /// <param name="yaml">The file contents.</param>
    /// <param name="fileName">Name used in error messages, normally <see cref="PathFor"/>.</param>
    /// <returns>The configuration; never null.</returns>
    /// <exception cref="ConfigurationException">The file is too large (in UTF-8), not valid YAML, or invalid.</exception>
    public static ConfigurationFile Parse(string yaml, string fileName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(fileName);
        ThrowIfTooLarge(Encoding.UTF8.GetByteCount(yaml), fileName);
        return ParseText(yaml.StartsWith('\uFEFF') ? yaml[1..] : yaml, fileName);
    }

    /// <summary>
    /// Builds the message kas streams to agentk: every section of <paramref name="file"/> (deep-copied) plus the
    /// agent's identity. <c>gitlab_external_url</c> is left empty for the caller to set.
    /// </summary>
    /// <param name="file">A parsed configuration file.</param>
    /// <param name="agentId">The agent's id.</param>
    /// <param name="projectId">The id of the agent's configuration project.</param>
    /// <param name="projectPath">The full path of the agent's configuration project.</param>
    /// <returns>A new <see cref="AgentConfiguration"/>.</returns>
    public static AgentConfiguration ToAgentConfiguration(ConfigurationFile file, long agentId, long projectId, string projectPath)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(projectPath);
        return new AgentConfiguration
        {
            Gitops = file.Gitops?.Clone(),
            Observability = file.Observability?.Clone(),
            Cilium = file.Cilium?.Clone(),
            CiAccess = file.CiAccess?.Clone(),
            ContainerScanning = file.ContainerScanning?.Clone(),
            UserAccess = file.UserAccess?.Clone(),
            RemoteDevelopment = file.RemoteDevelopment?.Clone(),
            Flux = file.Flux?.Clone(),
            AgentId = agentId,
            ProjectId = projectId,
            ProjectPath = projectPath,
        };
    }

    /// <summary>The path of an agent's configuration file in its configuration project.</summary>
    /// <param name="agentName">The agent name (not validated here; see <see cref="AgentName"/>).</param>
    /// <returns><c>.gitlab/agents/&lt;agentName&gt;/config.yaml</c>.</returns>
    public static string PathFor(string agentName) => $".gitlab/agents/{agentName}/config.yaml";

    private static ConfigurationFile ParseText(string yaml, string fileName)
    {
        var errors = new ErrorCollector(fileName);
        var file = new ConfigurationFile();
        var map = ProtoYamlReader.Read(yaml, file, errors);
        new AgentConfigurationValidator(errors, map).Validate(file);

        errors.ThrowIfAny();
        return file;
    }

    private static void ThrowIfTooLarge(int size, string fileName)
    {
        if (size > MaxSize)
        {
            throw new ConfigurationException([new ConfigurationError(fileName, 0, 0, string.Empty,
                $"the configuration file is {size} bytes, larger than the maximum of {MaxSize} bytes")]);
        }
    }
}
