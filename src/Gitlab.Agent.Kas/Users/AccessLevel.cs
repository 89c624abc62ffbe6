namespace Gitlab.Agent.Kas.Users;

/// <summary>GitLab membership roles, with GitLab's numeric access levels. Higher roles include the lower ones.</summary>
public enum AccessLevel
{
    /// <summary>Not a member.</summary>
    None = 0,

    /// <summary>Guest (10).</summary>
    Guest = 10,

    /// <summary>Reporter (20).</summary>
    Reporter = 20,

    /// <summary>Developer (30): may read agents, tokens and activity.</summary>
    Developer = 30,

    /// <summary>Maintainer (40): may create and delete agents and tokens.</summary>
    Maintainer = 40,

    /// <summary>Owner (50).</summary>
    Owner = 50,
}
