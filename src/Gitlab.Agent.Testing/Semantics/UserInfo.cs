namespace Gitlab.Agent.Testing.Semantics;

/// <summary>An authenticated user as the apiserver's authorizers see it.</summary>
internal sealed record UserInfo(string Name, IReadOnlyList<string> Groups, string? Uid = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? Extra = null)
{
    /// <summary>Group of every authenticated user.</summary>
    public const string AuthenticatedGroup = "system:authenticated";

    /// <summary>Group whose members are allowed everything.</summary>
    public const string MastersGroup = "system:masters";

    /// <summary>
    /// The user a service account token authenticates as: <c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c> with groups
    /// <c>system:serviceaccounts</c>, <c>system:serviceaccounts:&lt;ns&gt;</c> and <c>system:authenticated</c>.
    /// </summary>
    public static UserInfo ForServiceAccount(string @namespace, string name, string? uid = null)
        => new($"system:serviceaccount:{@namespace}:{name}", ["system:serviceaccounts", $"system:serviceaccounts:{@namespace}", AuthenticatedGroup], uid);

    /// <summary>A user with <c>system:authenticated</c> added to the given groups.</summary>
    public static UserInfo Authenticated(string name, params string[] groups)
        => new(name, groups.Contains(AuthenticatedGroup, StringComparer.Ordinal) ? groups : [.. groups, AuthenticatedGroup]);
}
