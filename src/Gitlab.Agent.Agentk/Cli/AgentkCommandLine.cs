using System.CommandLine;
using Gitlab.Agent.Agentk.Hosting;

namespace Gitlab.Agent.Agentk;

/// <summary>
/// The agentk command line: <c>--kas-address</c>, <c>--token-file</c>, <c>--ca-cert-file</c>, <c>--kas-header</c>
/// (repeatable <c>"Name: value"</c>), <c>--kas-insecure-skip-tls-verify</c>, <c>--kas-tls-server-name</c>,
/// <c>--kubeconfig</c>, <c>--context</c>, <c>--observability-listen-address</c>, <c>--version</c>, <c>--help</c>, and the
/// environment variables <c>AGENTK_TOKEN</c> (removed from the process environment once read), <c>POD_NAMESPACE</c>
/// and <c>POD_NAME</c>.
/// </summary>
/// <example>
/// <code>
/// var cli = AgentkCommandLine.Parse(args);
/// if (cli.ExitCode is int code) return code;          // --help, --version or a usage error was printed
/// builder.Services.AddAgentk(cli.Apply);
/// </code>
/// </example>
public sealed class AgentkCommandLine
{
    private readonly AgentkOptions _values;

    private AgentkCommandLine(AgentkOptions values, int? exitCode)
    {
        _values = values;
        ExitCode = exitCode;
    }

    /// <summary>
    /// Set when agentk must not start: 0 after <c>--help</c> / <c>--version</c> / <c>generate</c> (install manifests
    /// printed), non-zero after a usage error (the text was written to the output or error writer).
    /// </summary>
    public int? ExitCode { get; }

    /// <summary>
    /// Parses <paramref name="args"/>. <paramref name="environment"/> reads environment variables (the process
    /// environment when <see langword="null"/>; only then is <c>AGENTK_TOKEN</c> removed after reading);
    /// help, version and errors go to <paramref name="output"/> / <paramref name="error"/> (the console by default).
    /// </summary>
    public static AgentkCommandLine Parse(
        IReadOnlyList<string> args,
        Func<string, string?>? environment = null,
        TextWriter? output = null,
        TextWriter? error = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        output ??= Console.Out;
        error ??= Console.Error;

        var kasAddress = new Option<string?>("--kas-address") { Description = "KAS address: grpc://host:port, grpcs://host:port, ws://… or wss://… (required)", HelpName = "url" };
        var tokenFile = new Option<string?>("--token-file") { Description = "File with the agent token (or set AGENTK_TOKEN)", HelpName = "file" };
        var caCertFile = new Option<string?>("--ca-cert-file") { Description = "PEM file with extra CA certificates for KAS's TLS certificate", HelpName = "file" };
        var kasHeaders = new Option<string[]>("--kas-header") { Description = "Extra header sent to KAS, as \"Name: value\" (repeatable)", HelpName = "header", Arity = ArgumentArity.ZeroOrMore };
        var insecure = new Option<bool>("--kas-insecure-skip-tls-verify") { Description = "Do not verify KAS's TLS certificate (tests only)" };
        var tlsServerName = new Option<string?>("--kas-tls-server-name") { Description = "Server name for TLS SNI and certificate verification", HelpName = "name" };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Kubeconfig file (default: in-cluster service account)", HelpName = "file" };
        var context = new Option<string?>("--context") { Description = "Kubeconfig context to use", HelpName = "name" };
        var observability = new Option<string?>("--observability-listen-address") { Description = "host:port or :port for /metrics, /liveness and /readiness (off when empty)", HelpName = "address" };
        var version = new Option<bool>("--version") { Description = "Print the agentk version and exit" };

        kasHeaders.Validators.Add(result =>
        {
            foreach (var value in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (!TryParseHeader(value, out _))
                {
                    result.AddError($"--kas-header '{value}' must be \"Name: value\".");
                }
            }
        });

        var root = new RootCommand("agentk: the GitLab agent for Kubernetes. Connects to KAS and runs the agent modules.");
        foreach (var builtIn in root.Options.OfType<VersionOption>().ToList())
        {
            root.Options.Remove(builtIn);
        }

        foreach (var option in new Option[] { kasAddress, tokenFile, caCertFile, kasHeaders, insecure, tlsServerName, kubeconfig, context, observability, version })
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(Install.GenerateCommand.Create());

        // Running the agent is the root command's job, done by the caller after parsing; the action only makes
        // "no subcommand" valid now that the root has one.
        root.SetAction(_ => 0);
        var result = root.Parse(args);
        if (result.Errors.Count == 0 && result.GetValue(version))
        {
            output.WriteLine($"agentk version: {AgentkVersion.Version}, commit: {AgentkVersion.Commit}");
            return new AgentkCommandLine(new AgentkOptions(), 0);
        }

        var runsAgent = result.Errors.Count == 0
            && result.CommandResult.Command == root
            && result.Action is not System.CommandLine.Help.HelpAction;
        if (!runsAgent)
        {
            // --help, or usage errors (printed with the help text).
            var code = result.Invoke(new InvocationConfiguration { Output = output, Error = error });
            return new AgentkCommandLine(new AgentkOptions(), code);
        }

        var getEnv = environment ?? Environment.GetEnvironmentVariable;
        var values = new AgentkOptions
        {
            KasAddress = result.GetValue(kasAddress),
            TokenFile = result.GetValue(tokenFile),
            Token = NullIfEmpty(getEnv("AGENTK_TOKEN")),
            CaCertFile = result.GetValue(caCertFile),
            KasInsecureSkipTlsVerify = result.GetValue(insecure),
            KasTlsServerName = result.GetValue(tlsServerName),
            Kubeconfig = result.GetValue(kubeconfig),
            Context = result.GetValue(context),
            ObservabilityListenAddress = result.GetValue(observability),
            PodNamespace = NullIfEmpty(getEnv("POD_NAMESPACE")),
            PodName = NullIfEmpty(getEnv("POD_NAME")),
        };
        foreach (var header in result.GetValue(kasHeaders) ?? [])
        {
            if (TryParseHeader(header, out var pair))
            {
                values.KasHeaders.Add(pair);
            }
        }

        if (environment is null && values.Token is not null)
        {
            // The token must not leak to child processes or crash dumps of the environment.
            Environment.SetEnvironmentVariable("AGENTK_TOKEN", null);
        }

        return new AgentkCommandLine(values, null);
    }

    /// <summary>Copies the parsed values into <paramref name="options"/> (pass it to <c>AddAgentk</c>).</summary>
    public void Apply(AgentkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.KasAddress = _values.KasAddress;
        options.TokenFile = _values.TokenFile;
        options.Token = _values.Token;
        options.CaCertFile = _values.CaCertFile;
        options.KasInsecureSkipTlsVerify = _values.KasInsecureSkipTlsVerify;
        options.KasTlsServerName = _values.KasTlsServerName;
        options.Kubeconfig = _values.Kubeconfig;
        options.Context = _values.Context;
        options.ObservabilityListenAddress = _values.ObservabilityListenAddress;
        options.PodNamespace = _values.PodNamespace;
        options.PodName = _values.PodName;
        foreach (var header in _values.KasHeaders)
        {
            options.KasHeaders.Add(header);
        }
    }

    internal static bool TryParseHeader(string value, out KeyValuePair<string, string> header)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || value[..colon].Trim().Length == 0)
        {
            header = default;
            return false;
        }

        header = new KeyValuePair<string, string>(value[..colon].Trim(), value[(colon + 1)..].Trim());
        return true;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
