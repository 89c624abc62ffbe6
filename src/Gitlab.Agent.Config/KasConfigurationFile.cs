using Gitlab.Agent.Config.Yaml;
using Gitlab.Agent.Protocol.KasCfg;

namespace Gitlab.Agent.Config;

/// <summary>
/// The kas configuration file (<c>--configuration-file</c>, YAML; schema <c>gitlab.agent.kascfg.ConfigurationFile</c>):
/// parsing with the same strict reader as the agent configuration, defaults and validation.
/// </summary>
/// <remarks>
/// Typical start-up: <c>var config = KasConfigurationFile.Load(path);</c> (parse + defaults + validation).
/// Hosts that build or modify the configuration in code call <see cref="ApplyDefaults"/> and then
/// <see cref="Validate"/> themselves. Every key and default is listed in docs/configuration.md.
/// </remarks>
public static class KasConfigurationFile
{
    /// <summary>
    /// Reads <paramref name="path"/>, parses it, applies defaults (relative paths are resolved against the file's
    /// directory) and validates the result.
    /// </summary>
    /// <param name="path">The configuration file.</param>
    /// <returns>The complete configuration with every default filled in.</returns>
    /// <exception cref="ConfigurationException">The file cannot be read, is not valid YAML, or is invalid.</exception>
    public static ConfigurationFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException([new ConfigurationError(path, 0, 0, string.Empty, $"cannot read the configuration file: {ex.Message}")]);
        }

        var errors = new ErrorCollector(path);
        var config = Read(text, errors, out var map);
        errors.ThrowIfAny();
        ApplyDefaults(config, Path.GetDirectoryName(Path.GetFullPath(path)));
        foreach (var (key, message) in KasConfigurationValidator.Validate(config))
        {
            errors.Add(map.Find(key), key, message);
        }

        errors.ThrowIfAny();
        return config;
    }

    /// <summary>Parses YAML text (no defaults, no validation beyond types and keys).</summary>
    /// <param name="yaml">The file contents.</param>
    /// <param name="fileName">Name used in error messages.</param>
    /// <returns>The configuration as written.</returns>
    /// <exception cref="ConfigurationException">The text is not valid YAML or does not match the schema.</exception>
    public static ConfigurationFile Parse(string yaml, string fileName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(fileName);
        var errors = new ErrorCollector(fileName);
        var config = Read(yaml, errors, out _);
        errors.ThrowIfAny();
        return config;
    }

    /// <summary>
    /// Fills in every absent value with its default (see docs/configuration.md), normalises
    /// <c>agent.kubernetes_api.url_path_prefix</c> to end with <c>/</c>, and resolves relative file and directory
    /// paths against <paramref name="baseDirectory"/>. Idempotent.
    /// </summary>
    /// <param name="config">The configuration to complete in place.</param>
    /// <param name="baseDirectory">Directory for relative paths (normally the configuration file's); null leaves them relative.</param>
    public static void ApplyDefaults(ConfigurationFile config, string? baseDirectory = null) =>
        KasConfigurationDefaults.Apply(config, baseDirectory);

    /// <summary>Checks a configuration (normally after <see cref="ApplyDefaults"/>).</summary>
    /// <param name="config">The configuration.</param>
    /// <returns>Every problem as <c>key.path: message</c>; empty when the configuration is valid.</returns>
    public static IReadOnlyList<string> Validate(ConfigurationFile config) =>
        [.. KasConfigurationValidator.Validate(config).Select(e => $"{e.Path}: {e.Message}")];

    private static ConfigurationFile Read(string yaml, ErrorCollector errors, out SourceMap map)
    {
        var config = new ConfigurationFile();
        map = ProtoYamlReader.Read(yaml.StartsWith('\uFEFF') ? yaml[1..] : yaml, config, errors);
        return config;
    }
}
