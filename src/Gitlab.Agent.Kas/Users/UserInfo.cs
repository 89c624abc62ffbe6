namespace Gitlab.Agent.Kas.Users;

/// <summary>A user of KAS's management API, UI and Kubernetes API proxy.</summary>
/// <param name="Id">Unique id.</param>
/// <param name="Username">Username (unique, compared case-insensitively).</param>
/// <param name="CreatedAt">When the user was created.</param>
public sealed record UserInfo(long Id, string Username, DateTimeOffset CreatedAt);
