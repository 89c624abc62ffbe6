namespace Gitlab.Agent.Cilium.Policies;

/// <summary>A CiliumNetworkPolicy that cannot be interpreted; the message names the policy and the JSON path.</summary>
internal sealed class PolicyParseException : Exception
{
    public PolicyParseException(string message)
        : base(message)
    {
    }

    public PolicyParseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PolicyParseException()
    {
    }
}
