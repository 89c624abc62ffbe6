namespace Gitlab.Agent.Management.Services;

/// <summary>Outcome of a management mutation: a value, or the user-facing errors (GitLab's payload <c>errors</c>).</summary>
internal sealed record ManagementResult<T>(T? Value, IReadOnlyList<string> Errors)
{
    public bool Succeeded => Errors.Count == 0;

    public static ManagementResult<T> Ok(T value) => new(value, []);

    public static ManagementResult<T> Fail(string error) => new(default, [error]);
}
