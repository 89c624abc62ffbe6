namespace Gitlab.Agent.Management.Services;

/// <summary>
/// The caller may not see or change the object (or it does not exist): GitLab answers both the same way so existence
/// does not leak.
/// </summary>
internal sealed class ManagementAccessDeniedException : Exception
{
    public const string GitlabMessage = "The resource that you are attempting to access does not exist or you don't have permission to perform this action";

    public ManagementAccessDeniedException() : base(GitlabMessage) { }

    public ManagementAccessDeniedException(string message) : base(message) { }

    public ManagementAccessDeniedException(string message, Exception innerException) : base(message, innerException) { }
}
