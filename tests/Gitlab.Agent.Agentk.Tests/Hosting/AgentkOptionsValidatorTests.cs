using Gitlab.Agent.Agentk.Hosting;
using Gitlab.Agent.Agentk.Kas;
using Gitlab.Agent.Agentk.Tests.Infrastructure;

namespace Gitlab.Agent.Agentk.Tests.Hosting;

public sealed class AgentkOptionsValidatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentk-opts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static AgentkOptionsValidator Validator(params IKasTransport[] extra) =>
        new([new GrpcKasTransport(), .. extra]);

    private AgentkOptions Valid()
    {
        var token = Path.Combine(_dir, "token");
        File.WriteAllText(token, "abc");
        return new AgentkOptions { KasAddress = "grpcs://kas.example.com:8150", TokenFile = token };
    }

    private static IReadOnlyList<string> Errors(AgentkOptionsValidator validator, AgentkOptions options) =>
        validator.Validate(null, options).Failures?.ToList() ?? [];

    [Fact]
    public void Valid_options_pass() => Assert.Empty(Errors(Validator(), Valid()));

    [Fact]
    public void Missing_kas_address_names_the_flag()
    {
        var options = Valid();
        options.KasAddress = null;

        Assert.Equal(["--kas-address is required: the KAS URL, e.g. grpcs://kas.example.com:443 or wss://gitlab.example.com/-/kubernetes-agent/."], Errors(Validator(), options));
    }

    [Fact]
    public void Unsupported_scheme_names_the_address_and_the_four_schemes()
    {
        var options = Valid();
        options.KasAddress = "https://kas.example.com";

        Assert.Equal(["--kas-address 'https://kas.example.com' has the unsupported scheme 'https': use one of grpc://, grpcs://, ws://, wss://."], Errors(Validator(), options));
    }

    [Fact]
    public void Relative_address_is_rejected()
    {
        var options = Valid();
        options.KasAddress = "kas.example.com:8150";

        var error = Assert.Single(Errors(Validator(), options));
        Assert.StartsWith("--kas-address 'kas.example.com:8150'", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ws://kas:8150")]
    [InlineData("wss://gitlab.example.com/-/kubernetes-agent/")]
    public void WebSocket_schemes_without_a_transport_point_to_the_tunnel_package(string address)
    {
        var options = Valid();
        options.KasAddress = address;

        Assert.Equal([$"--kas-address '{new Uri(address)}': the ws/wss transport for --kas-address is provided by the Gitlab.Agent.Tunnel package (AddWebSocketTransport)."], Errors(Validator(), options));
    }

    [Fact]
    public void A_registered_transport_makes_websocket_schemes_valid()
    {
        var options = Valid();
        options.KasAddress = "wss://gitlab.example.com/-/kubernetes-agent/";

        Assert.Empty(Errors(Validator(new TestWebSocketTransport()), options));
    }

    [Fact]
    public void Token_and_token_file_are_mutually_exclusive()
    {
        var options = Valid();
        options.Token = "xyz";

        Assert.Equal(["AGENTK_TOKEN and --token-file are mutually exclusive: set only one of them."], Errors(Validator(), options));
    }

    [Fact]
    public void No_token_says_what_to_pass()
    {
        var options = Valid();
        options.TokenFile = null;

        Assert.Equal(["no agent token: pass --token-file <file> or set the AGENTK_TOKEN environment variable."], Errors(Validator(), options));
    }

    [Fact]
    public void Missing_token_file_names_the_file()
    {
        var options = Valid();
        options.TokenFile = Path.Combine(_dir, "nope");

        var error = Assert.Single(Errors(Validator(), options));
        Assert.StartsWith($"--token-file '{options.TokenFile}': cannot read the agent token:", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "the agent token is empty.")]
    [InlineData("\n", "the agent token is empty.")]
    [InlineData("abc def", "the agent token contains whitespace or control characters (only one trailing line break is removed).")]
    [InlineData("abc\n\n", "the agent token contains whitespace or control characters (only one trailing line break is removed).")]
    public void Bad_token_file_contents_are_reported(string contents, string expected)
    {
        var options = Valid();
        File.WriteAllText(options.TokenFile!, contents);

        Assert.Equal([$"--token-file '{options.TokenFile}': {expected}"], Errors(Validator(), options));
    }

    [Theory]
    [InlineData("tok", "tok")]
    [InlineData("tok\n", "tok")]
    [InlineData("tok\r\n", "tok")]
    public void Token_is_read_raw_except_one_trailing_line_break(string contents, string expected)
    {
        var options = Valid();
        File.WriteAllText(options.TokenFile!, contents);

        Assert.Equal(expected, AgentToken.Read(options));
    }

    [Fact]
    public void Ca_cert_file_problems_name_the_file()
    {
        var options = Valid();
        options.CaCertFile = Path.Combine(_dir, "missing.pem");
        Assert.Equal([$"--ca-cert-file '{options.CaCertFile}': file not found."], Errors(Validator(), options));

        options.CaCertFile = Path.Combine(_dir, "empty.pem");
        File.WriteAllText(options.CaCertFile, "not a certificate");
        Assert.Equal([$"--ca-cert-file '{options.CaCertFile}': the file contains no PEM certificate (-----BEGIN CERTIFICATE-----)."], Errors(Validator(), options));
    }

    [Fact]
    public void A_pem_ca_file_is_accepted()
    {
        using var certificates = new TestCertificates("kas.test");
        var options = Valid();
        options.CaCertFile = certificates.CaPemFile;

        Assert.Empty(Errors(Validator(), options));
    }

    [Fact]
    public void Kas_headers_are_checked()
    {
        var options = Valid();
        options.KasHeaders.Add(new("X-Team", "blue"));
        options.KasHeaders.Add(new("Authorization", "Bearer other"));
        options.KasHeaders.Add(new("Bad Name", "x"));
        options.KasHeaders.Add(new("X-Multi", "a\nb"));

        Assert.Equal(
            [
                "--kas-header 'Authorization: Bearer other': the header 'Authorization' is set by agentk and cannot be overridden.",
                "--kas-header 'Bad Name: x': 'Bad Name' is not a valid header name.",
                "--kas-header 'X-Multi': the value must not contain line breaks.",
            ],
            Errors(Validator(), options));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var options = new AgentkOptions
        {
            KasAddress = "tcp://kas",
            Kubeconfig = Path.Combine(_dir, "kubeconfig"),
            ObservabilityListenAddress = "everywhere",
        };

        Assert.Equal(
            [
                "--kas-address 'tcp://kas' has the unsupported scheme 'tcp': use one of grpc://, grpcs://, ws://, wss://.",
                "no agent token: pass --token-file <file> or set the AGENTK_TOKEN environment variable.",
                $"--kubeconfig '{options.Kubeconfig}': file not found.",
                "--observability-listen-address 'everywhere' is not 'host:port' or ':port'.",
            ],
            Errors(Validator(), options));
    }
}
