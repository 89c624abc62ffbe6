namespace Gitlab.Agent.Kas.Users;

/// <summary>
/// Tells caches of authentication and authorization results in this process (such as the Kubernetes API proxy's
/// authorization cache) that the user store revoked a personal access token or changed a membership, so that they drop
/// what they hold at once. <c>AddUserStore()</c> registers one singleton and the default store raises it; a replacement
/// <see cref="IUserStore"/> should call <see cref="NotifyChanged"/> too. Changes made by other processes (other KAS
/// replicas, the <c>kas</c> CLI) are not signalled: caches see them when their entries expire.
/// </summary>
public sealed class UserStoreChanges
{
    /// <summary>Raised after a token was revoked or a membership was set or removed.</summary>
    public event EventHandler? Changed;

    /// <summary>Raises <see cref="Changed"/>.</summary>
    public void NotifyChanged() => Changed?.Invoke(this, EventArgs.Empty);
}
