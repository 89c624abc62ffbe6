namespace Gitlab.Agent.Agentk.Kas;

/// <summary>Reads the agent token from <see cref="AgentkOptions.Token"/> or <see cref="AgentkOptions.TokenFile"/>.</summary>
internal static class AgentToken
{
    /// <summary>
    /// Returns the token, or throws <see cref="InvalidOperationException"/> naming the flag at fault. GitLab sends the
    /// raw file contents; we remove one trailing <c>\n</c> / <c>\r\n</c> (what <c>echo token &gt; file</c> adds), because
    /// HTTP/2 header values cannot contain line breaks.
    /// </summary>
    public static string Read(AgentkOptions options)
    {
        string token;
        string source;
        if (!string.IsNullOrEmpty(options.Token))
        {
            if (!string.IsNullOrEmpty(options.TokenFile))
            {
                throw new InvalidOperationException("AGENTK_TOKEN and --token-file are mutually exclusive: set only one of them.");
            }

            token = options.Token;
            source = "AGENTK_TOKEN";
        }
        else if (!string.IsNullOrEmpty(options.TokenFile))
        {
            source = $"--token-file '{options.TokenFile}'";
            try
            {
                token = File.ReadAllText(options.TokenFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"{source}: cannot read the agent token: {e.Message}", e);
            }
        }
        else
        {
            throw new InvalidOperationException("no agent token: pass --token-file <file> or set the AGENTK_TOKEN environment variable.");
        }

        if (token.EndsWith("\r\n", StringComparison.Ordinal))
        {
            token = token[..^2];
        }
        else if (token.EndsWith('\n'))
        {
            token = token[..^1];
        }

        if (token.Length == 0)
        {
            throw new InvalidOperationException($"{source}: the agent token is empty.");
        }

        foreach (var c in token)
        {
            if (char.IsControl(c) || c == ' ')
            {
                throw new InvalidOperationException($"{source}: the agent token contains whitespace or control characters (only one trailing line break is removed).");
            }
        }

        return token;
    }
}
