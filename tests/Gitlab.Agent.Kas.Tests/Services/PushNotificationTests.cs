using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Gitlab.Agent.Protocol.AgentConfiguration;
using Gitlab.Agent.TestUtilities;
using Gitlab.Agent.TestUtilities.Git;

namespace Gitlab.Agent.Kas.Tests.Services;

public sealed class PushNotificationTests : IAsyncDisposable
{
    private const string Secret = "s3cret";
    private KasTestHost _kas = null!;

    public async ValueTask DisposeAsync()
    {
        if (_kas is not null)
        {
            await _kas.DisposeAsync();
        }
    }

    private async Task StartAsync(bool withSecret)
    {
        _kas = await KasTestHost.StartAsync(c =>
        {
            if (withSecret)
            {
                var file = Path.Combine(Path.GetDirectoryName(c.Registry.Sqlite.Path)!, "push-secret");
                File.WriteAllText(file, Secret + "\n");
                c.Api.PushNotifications = new Protocol.KasCfg.PushNotificationsCF { SecretFile = file };
            }
        }, pollPeriod: TimeSpan.FromMinutes(10));
    }

    public static TheoryData<string, string, string> Webhooks => new()
    {
        { "X-Gitlab-Event", "Push Hook", """{"object_kind":"push","project":{"path_with_namespace":"group/project"}}""" },
        { "X-GitHub-Event", "push", """{"ref":"refs/heads/main","repository":{"full_name":"group/project"}}""" },
        { "X-Gitea-Event", "push", """{"ref":"refs/heads/main","repository":{"full_name":"group/project"}}""" },
    };

    [Theory]
    [MemberData(nameof(Webhooks))]
    public async Task Webhook_payloads_refresh_the_project_and_wake_its_streams(string header, string value, string payload)
    {
        await StartAsync(withSecret: false);
        var (_, token) = await _kas.CreateAgentAsync("group/project", "agent1");
        using var repo = await _kas.CreateRepositoryAsync("group/project");
        await repo.CommitFileAsync(".gitlab/agents/agent1/config.yaml", "{}");
        var client = new AgentConfiguration.AgentConfigurationClient(_kas.Channel(KasListener.Agent, token.Secret));
        using var call = client.GetConfiguration(new ConfigurationRequest());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        var pushed = await repo.CommitFileAsync(".gitlab/agents/agent1/config.yaml", "observability: {}");

        using var api = _kas.Http(KasListener.Api);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/-/push") { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
        request.Headers.Add(header, value);
        var response = await api.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<Dictionary<string, object>>();
        Assert.Equal("group/project", body!["project"].ToString());
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        Assert.Equal(pushed, call.ResponseStream.Current.CommitId);
    }

    [Fact]
    public async Task Other_events_are_ignored_and_bad_payloads_are_rejected()
    {
        await StartAsync(withSecret: false);
        using var api = _kas.Http(KasListener.Api);

        Assert.Equal(HttpStatusCode.Accepted, (await Post(api, "/-/push", "{}", ("X-Gitlab-Event", "Issue Hook"))).StatusCode);
        var noHeader = await Post(api, "/-/push", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, noHeader.StatusCode);
        Assert.Contains("X-Gitlab-Event", await noHeader.Content.ReadAsStringAsync());
        var noProject = await Post(api, "/-/push", "{\"project\":{}}", ("X-Gitlab-Event", "Push Hook"));
        Assert.Equal(HttpStatusCode.BadRequest, noProject.StatusCode);
        Assert.Contains("project.path_with_namespace", await noProject.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await Post(api, "/-/push", "not json", ("X-GitHub-Event", "push"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Post(api, "/-/refresh/no-namespace", "")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Post(api, "/-/refresh/group/missing", "")).StatusCode);
    }

    [Fact]
    public async Task With_a_secret_only_authenticated_notifications_are_accepted()
    {
        await StartAsync(withSecret: true);
        using var repo = await _kas.CreateRepositoryAsync("group/project");
        await repo.CommitFileAsync("f", "1");
        using var api = _kas.Http(KasListener.Api);
        var github = """{"repository":{"full_name":"group/project"}}""";
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(github)));

        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(api, "/-/refresh/group/project", "")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(api, "/-/refresh/group/project", "", ("X-Kas-Push-Token", "wrong"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Post(api, "/-/refresh/group/project", "", ("X-Kas-Push-Token", Secret))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Post(api, "/-/push", """{"project":{"path_with_namespace":"group/project"}}""", ("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", Secret))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Post(api, "/-/push", github, ("X-GitHub-Event", "push"), ("X-Hub-Signature-256", signature))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(api, "/-/push", github + " ", ("X-GitHub-Event", "push"), ("X-Hub-Signature-256", signature))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Post(api, "/-/push", github, ("X-Gitea-Event", "push"), ("X-Gitea-Signature", signature[7..]))).StatusCode);
    }

    [Fact]
    public async Task The_post_receive_hook_script_notifies_kas()
    {
        await StartAsync(withSecret: true);
        var (_, token) = await _kas.CreateAgentAsync("group/project", "agent1");
        using var repo = await _kas.CreateRepositoryAsync("group/project");
        await repo.CommitFileAsync(".gitlab/agents/agent1/config.yaml", "{}");
        var bare = Path.Combine(_kas.RepositoriesDirectory, "group", "project.git");
        var hook = Path.Combine(bare, "hooks", "post-receive");
        File.Copy(Path.Combine(RepositoryPaths.Root(), "scripts", "git-hooks", "post-receive"), hook);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        await GitCli.RunAsync(bare, "config", "kas.url", _kas.Addresses.Api.ToString());
        await GitCli.RunAsync(bare, "config", "kas.pushToken", Secret);
        var client = new AgentConfiguration.AgentConfigurationClient(_kas.Channel(KasListener.Agent, token.Secret));
        using var call = client.GetConfiguration(new ConfigurationRequest());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));

        var pushed = await repo.CommitFileAsync(".gitlab/agents/agent1/config.yaml", "observability: {}");

        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        Assert.Equal(pushed, call.ResponseStream.Current.CommitId);
    }

    [Fact]
    public async Task Remote_repositories_are_fetched_when_the_host_notifies_a_push()
    {
        using var served = new TempDirectory("served");
        await using var daemon = await GitDaemon.StartAsync(served.Path);
        await GitTestRepository.InitBareAsync(Path.Combine(served.Path, "group", "project.git"));
        using var repo = await GitTestRepository.OpenAsync(daemon.Url("group/project.git"));
        await repo.CommitFileAsync(".gitlab/agents/agent1/config.yaml", "{}");
        _kas = await KasTestHost.StartAsync(c =>
        {
            c.Repositories.Directory = "";
            c.Repositories.UrlTemplate = daemon.BaseUrl + "{project}.git";
            c.Repositories.CacheDirectory = Path.Combine(Path.GetDirectoryName(c.Registry.Sqlite.Path)!, "cache");
        }, pollPeriod: TimeSpan.FromMinutes(10));
        var (_, token) = await _kas.CreateAgentAsync("group/project", "agent1");
        var client = new AgentConfiguration.AgentConfigurationClient(_kas.Channel(KasListener.Agent, token.Secret));
        using var call = client.GetConfiguration(new ConfigurationRequest());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        var pushed = await repo.CommitFileAsync(".gitlab/agents/agent1/config.yaml", "observability: {}");
        using var api = _kas.Http(KasListener.Api);

        var response = await Post(api, "/-/refresh/group/project", "");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"changed\":true", await response.Content.ReadAsStringAsync());
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        Assert.Equal(pushed, call.ResponseStream.Current.CommitId);
    }

    private static async Task<HttpResponseMessage> Post(HttpClient client, string path, string body, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        return await client.SendAsync(request);
    }
}
