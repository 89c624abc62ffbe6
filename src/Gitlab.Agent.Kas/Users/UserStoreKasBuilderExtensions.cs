using Gitlab.Agent.Kas;
using Gitlab.Agent.Kas.Users;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the KAS user store.</summary>
public static class UserStoreKasBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="IUserStore"/> (users, memberships, personal access tokens) on the KAS registry database
    /// (<c>registry.sqlite.path</c>) and <see cref="UserStoreChanges"/>, which it raises on revocations and membership changes. Idempotent; features that authenticate users (management API, Kubernetes API
    /// proxy) call it, and a registration made before it wins.
    /// </summary>
    public static IKasBuilder AddUserStore(this IKasBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<KasRuntimeSettings>();
        builder.Services.TryAddSingleton<UserStoreChanges>();
        builder.Services.TryAddSingleton<IUserStore>(sp => new SqliteUserStore(
            new SqliteUserStoreOptions(sp.GetRequiredService<KasRuntimeSettings>().RegistryPath),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetRequiredService<UserStoreChanges>()));
        return builder;
    }
}
