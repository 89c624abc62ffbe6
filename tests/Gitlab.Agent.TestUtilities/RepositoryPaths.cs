namespace Gitlab.Agent.TestUtilities;

/// <summary>Paths inside the repository the tests were built from.</summary>
public static class RepositoryPaths
{
    /// <summary>The directory holding <c>Gitlab.Agent.Sdk.sln</c>, found above the test assembly.</summary>
    public static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Gitlab.Agent.Sdk.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root (Gitlab.Agent.Sdk.sln) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// The built assembly of <c>samples/&lt;name&gt;</c> in the configuration the tests were built in (Release or
    /// Debug), for <c>dotnet &lt;path&gt;</c>. Fails with a clear message when the sample was not built.
    /// </summary>
    public static string SampleAssembly(string name)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(Root(), "samples", name, "bin", configuration, "net10.0", name + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"samples/{name} is not built ({path}); build the solution first", path);
    }
}
