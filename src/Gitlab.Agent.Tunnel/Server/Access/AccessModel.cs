namespace Gitlab.Agent.Tunnel.Server.Access;

/// <summary>GitLab membership roles (access levels).</summary>
public enum GitlabRole
{
    /// <summary>Guest (10).</summary>
    Guest = 10,

    /// <summary>Reporter (20).</summary>
    Reporter = 20,

    /// <summary>Developer (30): the least role that may use <c>user_access</c>.</summary>
    Developer = 30,

    /// <summary>Maintainer (40).</summary>
    Maintainer = 40,

    /// <summary>Owner (50).</summary>
    Owner = 50,
}

/// <summary>A project: numeric id and full path (<c>group/sub/project</c>).</summary>
/// <param name="Id">Project id.</param>
/// <param name="Path">Full path.</param>
public sealed record ProjectRef(long Id, string Path);

/// <summary>A group: numeric id and full path (<c>group/sub</c>).</summary>
/// <param name="Id">Group id.</param>
/// <param name="Path">Full path.</param>
public sealed record GroupRef(long Id, string Path);

/// <summary>The environment a CI job deploys to.</summary>
/// <param name="Name">Environment name, matched against <c>ci_access.*.environments</c> (e.g. <c>review/feature-1</c>).</param>
/// <param name="Slug">Environment slug (e.g. <c>review-feature-1-abc123</c>).</param>
/// <param name="Tier">Deployment tier: <c>production</c>, <c>staging</c>, <c>testing</c>, <c>development</c> or <c>other</c>.</param>
public sealed record CiJobEnvironment(string Name, string Slug, string Tier);

/// <summary>What a CI job token stands for.</summary>
/// <param name="JobId">Job id.</param>
/// <param name="PipelineId">Pipeline id.</param>
/// <param name="Project">The job's project.</param>
/// <param name="Groups">Ancestor groups of the project, top-level first.</param>
/// <param name="Environment">The job's environment, if any.</param>
/// <param name="UserId">Id of the user who runs the job.</param>
/// <param name="Username">Username of the user who runs the job.</param>
public sealed record CiJob(long JobId, long PipelineId, ProjectRef Project, IReadOnlyList<GroupRef> Groups, CiJobEnvironment? Environment, long UserId, string Username);

/// <summary>Kind of a <see cref="Membership"/>.</summary>
public enum MembershipKind
{
    /// <summary>Member of a project.</summary>
    Project,

    /// <summary>Member of a group (inherited by its subgroups and projects).</summary>
    Group,
}

/// <summary>A user's role in a project or group.</summary>
/// <param name="Kind">Project or group.</param>
/// <param name="Id">
/// Project or group id, used in <c>user</c> impersonation groups (<c>gitlab:project_role:&lt;id&gt;:&lt;role&gt;</c>);
/// <see langword="null"/> when unknown (then no role groups are added for this membership).
/// </param>
/// <param name="Path">Full path.</param>
/// <param name="Role">The user's role there.</param>
public sealed record Membership(MembershipKind Kind, long? Id, string Path, GitlabRole Role);

/// <summary>What a personal access token stands for.</summary>
/// <param name="Id">User id.</param>
/// <param name="Username">Username.</param>
/// <param name="Memberships">Roles in projects and groups.</param>
public sealed record ProxyUser(long Id, string Username, IReadOnlyList<Membership> Memberships);

/// <summary>A newly issued token; <see cref="Token"/> is shown only once.</summary>
/// <param name="Id">Token id (for revocation and listing).</param>
/// <param name="Token">The secret.</param>
/// <param name="ExpiresAt">When it stops working.</param>
public sealed record IssuedToken(long Id, string Token, DateTimeOffset ExpiresAt);
