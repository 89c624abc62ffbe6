using System.Collections.Concurrent;
using LibGit2Sharp;
using Gitlab.Agent.Kas.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Kas.Repositories;

/// <summary>Settings of <see cref="RemoteRepositorySource"/>.</summary>
/// <param name="UrlTemplate">Remote URL with a <c>{project}</c> placeholder (https, http, git, file or a local path).</param>
/// <param name="CacheDirectory">Where bare mirrors are kept: <c>&lt;cache&gt;/&lt;project&gt;.git</c>.</param>
internal sealed record RemoteRepositoryOptions(string UrlTemplate, string CacheDirectory)
{
    /// <summary>User name for http(s) remotes.</summary>
    public string? Username { get; init; }

    /// <summary>File holding the password or access token for http(s) remotes (read on every fetch).</summary>
    public string? PasswordFile { get; init; }

    /// <summary>How to fetch (benchmarks compare the two; <see cref="RepositoryFetchStrategy.Auto"/> picks the faster one per URL).</summary>
    public RepositoryFetchStrategy FetchStrategy { get; init; } = RepositoryFetchStrategy.Auto;
}

/// <summary>Fetch implementations of <see cref="RemoteRepositorySource"/>.</summary>
internal enum RepositoryFetchStrategy
{
    /// <summary>git command line for the first clone of local paths and file:// URLs, libgit2 otherwise.</summary>
    Auto,

    /// <summary>Always libgit2.</summary>
    LibGit2,

    /// <summary>Always the git command line (no credentials support).</summary>
    GitCli,
}

/// <summary>
/// Projects fetched from a remote git host into bare mirrors. The first read fetches; afterwards the poller and push
/// notifications refresh the mirror. Fetches use libgit2, except the first clone of a local path or file:// URL, which
/// the git command line does several times faster (measured in bench/Gitlab.Agent.Kas.Bench, see docs/kas.md).
/// </summary>
internal sealed class RemoteRepositorySource : BareRepositorySource
{
    private static readonly string[] RefSpecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];
    private readonly RemoteRepositoryOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _fetchLocks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _fetched = new(StringComparer.Ordinal);

    public RemoteRepositorySource(RemoteRepositoryOptions options, TimeProvider timeProvider, ILogger<RemoteRepositorySource> logger)
        : base(timeProvider)
    {
        if (!options.UrlTemplate.Contains("{project}", StringComparison.Ordinal))
        {
            throw new ArgumentException($"repositories.url_template '{options.UrlTemplate}' must contain the {{project}} placeholder", nameof(options));
        }

        _options = options with { CacheDirectory = Path.GetFullPath(options.CacheDirectory) };
        _logger = logger;
    }

    public string RemoteUrl(string projectPath) => _options.UrlTemplate.Replace("{project}", projectPath, StringComparison.Ordinal);

    public string MirrorPath(string projectPath) => Path.Combine(_options.CacheDirectory, projectPath + ".git");

    protected override async Task<string> GetRepositoryPathAsync(string projectPath, CancellationToken cancellationToken)
    {
        if (!_fetched.ContainsKey(projectPath))
        {
            try
            {
                await FetchAsync(projectPath, onlyIfNeverFetched: true, cancellationToken);
            }
            catch (RepositoryException ex) when (BareRepositoryReader.Exists(MirrorPath(projectPath)))
            {
                // The host is down but an older mirror exists: serve it, the poller retries.
                KasLog.ServingStaleMirror(_logger, projectPath, ex.Message);
            }
        }

        return MirrorPath(projectPath);
    }

    protected override Task UpdateAsync(string projectPath, CancellationToken cancellationToken) =>
        FetchAsync(projectPath, onlyIfNeverFetched: false, cancellationToken);

    private async Task FetchAsync(string projectPath, bool onlyIfNeverFetched, CancellationToken cancellationToken)
    {
        var gate = _fetchLocks.GetOrAdd(projectPath, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (onlyIfNeverFetched && _fetched.ContainsKey(projectPath))
            {
                return;
            }

            var mirror = MirrorPath(projectPath);
            var url = RemoteUrl(projectPath);
            var started = Time.GetTimestamp();
            var useCli = _options.FetchStrategy switch
            {
                RepositoryFetchStrategy.GitCli => true,
                RepositoryFetchStrategy.LibGit2 => false,
                // Measured (docs/kas.md): the CLI clones local repositories ~7x faster, libgit2 fetches increments faster everywhere.
                _ => IsLocal(url) && !BareRepositoryReader.Exists(mirror),
            };
            if (useCli)
            {
                await FetchWithGitCliAsync(mirror, url, cancellationToken);
            }
            else
            {
                await Task.Run(() => FetchWithLibGit2(projectPath, mirror, url), cancellationToken);
            }

            _fetched[projectPath] = true;
            var elapsed = Time.GetElapsedTime(started).TotalMilliseconds;
            var redacted = Redact(url);
            KasLog.RepositoryFetched(_logger, projectPath, redacted, elapsed);
        }
        finally
        {
            gate.Release();
        }
    }

    private static bool IsLocal(string url) =>
        url.StartsWith("file://", StringComparison.OrdinalIgnoreCase) || !url.Contains("://", StringComparison.Ordinal);

    private void FetchWithLibGit2(string projectPath, string mirror, string url)
    {
        try
        {
            if (!BareRepositoryReader.Exists(mirror))
            {
                Directory.CreateDirectory(mirror);
                Repository.Init(mirror, isBare: true);
            }

            using var repo = new Repository(mirror);
            var remote = repo.Network.Remotes["origin"];
            if (remote is null)
            {
                repo.Network.Remotes.Add("origin", url, RefSpecs[0]);
            }
            else if (remote.Url != url)
            {
                repo.Network.Remotes.Update("origin", r => r.Url = url);
            }

            var credentials = Credentials();
            var advertised = credentials is null ? repo.Network.ListReferences(url) : repo.Network.ListReferences(url, credentials);
            var head = advertised.OfType<SymbolicReference>().FirstOrDefault(r => r.CanonicalName == "HEAD");
            Commands.Fetch(repo, "origin", RefSpecs, new FetchOptions { Prune = true, TagFetchMode = TagFetchMode.None, CredentialsProvider = credentials }, null);
            if (head?.TargetIdentifier is { } target && repo.Refs.Head?.TargetIdentifier != target)
            {
                repo.Refs.UpdateTarget(repo.Refs.Head, target);
            }
        }
        catch (LibGit2SharpException ex)
        {
            throw new RepositoryException($"fetching project '{projectPath}' from {Redact(url)} failed: {ex.Message}", ex);
        }
    }

    private static async Task FetchWithGitCliAsync(string mirror, string url, CancellationToken cancellationToken)
    {
        if (!BareRepositoryReader.Exists(mirror))
        {
            Directory.CreateDirectory(mirror);
            await GitProcess.RunAsync(mirror, ["init", "--bare", "--quiet"], cancellationToken);
        }

        await GitProcess.RunAsync(mirror, ["fetch", "--prune", "--quiet", "--no-tags", url, .. RefSpecs], cancellationToken);
        var symref = await GitProcess.RunAsync(mirror, ["ls-remote", "--symref", url, "HEAD"], cancellationToken);
        var line = symref.Split('\n').FirstOrDefault(l => l.StartsWith("ref: ", StringComparison.Ordinal));
        if (line is not null)
        {
            var target = line[5..].Split('\t')[0];
            await GitProcess.RunAsync(mirror, ["symbolic-ref", "HEAD", target], cancellationToken);
        }
    }

    private LibGit2Sharp.Handlers.CredentialsHandler? Credentials()
    {
        if (string.IsNullOrEmpty(_options.Username) && string.IsNullOrEmpty(_options.PasswordFile))
        {
            return null;
        }

        return (_, _, _) => new UsernamePasswordCredentials
        {
            Username = _options.Username ?? "git",
            Password = string.IsNullOrEmpty(_options.PasswordFile) ? "" : File.ReadAllText(_options.PasswordFile).Trim(),
        };
    }

    /// <summary>Removes user info from a URL before it is logged or put in an error.</summary>
    private static string Redact(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.UserInfo) ? url.Replace(uri.UserInfo + "@", "***@", StringComparison.Ordinal) : url;
}
