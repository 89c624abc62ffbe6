using System.Collections.Concurrent;
using Gitlab.Agent.Kas.Repositories;

namespace Gitlab.Agent.Tunnel.Tests.Infrastructure;

/// <summary>Projects (path → id) known to a test KAS that runs without the agent registry.</summary>
internal sealed class TestProjectInfoProvider : IProjectInfoProvider
{
    private readonly ConcurrentDictionary<string, ProjectInfo> _projects = new(StringComparer.Ordinal);

    public TestProjectInfoProvider Add(long id, string path)
    {
        _projects[path] = new ProjectInfo(id, path, IsPublic: false);
        return this;
    }

    public ValueTask<ProjectInfo?> GetProjectAsync(string projectPath, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_projects.TryGetValue(projectPath, out var project) ? project : null);
}
