namespace Gitlab.Agent.Kas.Users;

/// <summary>What a membership is on: one project, or a group and every project and subgroup below it.</summary>
public enum MembershipTargetKind
{
    /// <summary>A project such as <c>group/sub/project</c>.</summary>
    Project,

    /// <summary>A group such as <c>group</c> or <c>group/sub</c>; its members are members of every project below it.</summary>
    Group,
}

/// <summary>The project or group a membership is on.</summary>
/// <param name="Kind">Project or group.</param>
/// <param name="Path">Full path, e.g. <c>group/sub/project</c> or <c>group/sub</c>.</param>
public readonly record struct MembershipTarget(MembershipTargetKind Kind, string Path)
{
    /// <summary>A membership on project <paramref name="path"/>.</summary>
    public static MembershipTarget Project(string path) => new(MembershipTargetKind.Project, path);

    /// <summary>A membership on group <paramref name="path"/> (inherited by everything below it).</summary>
    public static MembershipTarget Group(string path) => new(MembershipTargetKind.Group, path);

    /// <summary>Whether this membership applies to project <paramref name="projectPath"/>.</summary>
    public bool AppliesTo(string projectPath) => Kind == MembershipTargetKind.Project
        ? string.Equals(Path, projectPath, StringComparison.Ordinal)
        : projectPath.Length > Path.Length && projectPath.StartsWith(Path, StringComparison.Ordinal) && projectPath[Path.Length] == '/';

    /// <inheritdoc />
    public override string ToString() => $"{(Kind == MembershipTargetKind.Project ? "project" : "group")} '{Path}'";
}

/// <summary>A user's role on a project or group.</summary>
/// <param name="UserId">The user.</param>
/// <param name="Target">The project or group.</param>
/// <param name="AccessLevel">The role.</param>
/// <param name="CreatedAt">When the membership was created or last changed.</param>
public sealed record MembershipInfo(long UserId, MembershipTarget Target, AccessLevel AccessLevel, DateTimeOffset CreatedAt);
