namespace Gitlab.Agent.Kas;

/// <summary>Keys of the per-call state the agent authentication interceptor stores in <c>ServerCallContext.UserState</c>.</summary>
internal static class AgentCallState
{
    public static readonly object IdentityKey = new();
    public static readonly object TokenKey = new();
    public static readonly object AuthenticatorKey = new();
}
