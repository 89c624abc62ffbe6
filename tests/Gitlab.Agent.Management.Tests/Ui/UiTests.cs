using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.Management.Tests.Infrastructure;
using Gitlab.Agent.Protocol.AgentConfiguration;
using Gitlab.Agent.Protocol.Entity;
using Microsoft.Playwright;

namespace Gitlab.Agent.Management.Tests.Ui;

public sealed class UiTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private static readonly LocatorAssertionsToHaveTextOptions Wait = new() { Timeout = 30_000 };
    private ManagementTestHost _host = null!;
    private string _maintainer = null!;
    private IBrowserContext _context = null!;

    public async Task InitializeAsync()
    {
        _host = await ManagementTestHost.StartAsync(options: o => o.UiRefreshInterval = TimeSpan.FromMilliseconds(500));
        _maintainer = await _host.CreateUserAsync("maintainer", MembershipTarget.Group("group"), AccessLevel.Maintainer);
        (await _host.CreateProjectAsync("group/project", ".gitlab/agents/ui-agent/config.yaml", "observability:\n  logging:\n    level: debug\n")).Dispose();
        _context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _host.ApiAddress.ToString() });
    }

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        await _host.DisposeAsync();
    }

    private async Task<IPage> SignInAsync(string path, string token)
    {
        var page = await _context.NewPageAsync();
        await page.GotoAsync(path);
        Assert.Contains("/-/ui/login", page.Url);
        await page.GetByTestId("token-input").FillAsync(token);
        await page.GetByTestId("sign-in").ClickAsync();
        await page.WaitForURLAsync("**" + path);
        return page;
    }

    [Fact]
    public async Task Agent_page_turns_connected_without_reload_when_agentk_connects()
    {
        // Create the agent and its token through the public GraphQL API.
        var (_, created) = await _host.GraphqlAsync(_maintainer,
            "mutation { createClusterAgent(input: {projectPath: \"group/project\", name: \"ui-agent\"}) { clusterAgent { id } errors } }");
        var agentGid = created["data"]!["createClusterAgent"]!["clusterAgent"]!["id"]!.GetValue<string>();
        var agentId = agentGid[(agentGid.LastIndexOf('/') + 1)..];
        var (_, token) = await _host.GraphqlAsync(_maintainer,
            "mutation($a: ClustersAgentID!) { clusterAgentTokenCreate(input: {clusterAgentId: $a, name: \"ui\"}) { secret errors } }", new { a = agentGid });
        var secret = token["data"]!["clusterAgentTokenCreate"]!["secret"]!.GetValue<string>();

        var page = await SignInAsync("/-/ui/agents/" + agentId, _maintainer);
        await Assertions.Expect(page.GetByTestId("agent-name")).ToHaveTextAsync("ui-agent");
        await Assertions.Expect(page.GetByTestId("agent-status")).ToHaveTextAsync("Never connected");
        await Assertions.Expect(page.Locator("code", new() { HasText = ".gitlab/agents/ui-agent/config.yaml" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("connections-empty")).ToBeVisibleAsync();
        await page.EvaluateAsync("() => { window.__notReloaded = true; }");

        // A real agent connection: the GetConfiguration stream with the agent's token and agentk's metadata.
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var client = new AgentConfiguration.AgentConfigurationClient(_host.AgentChannel(secret));
        using (var call = client.GetConfiguration(new ConfigurationRequest
        {
            AgentMeta = new AgentMeta { Version = "v99.1.0", CommitId = "deadbeef", PodNamespace = "gitlab-agent", PodName = "agentk-abc" },
        }, cancellationToken: cts.Token))
        {
            Assert.True(await call.ResponseStream.MoveNext(cts.Token));

            await Assertions.Expect(page.GetByTestId("agent-status")).ToHaveTextAsync("Connected", Wait);
            await Assertions.Expect(page.GetByTestId("connections")).ToContainTextAsync("gitlab-agent/agentk-abc", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("version-warning")).ToContainTextAsync("v99.1.0", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("activity")).ToContainTextAsync("agent_connected", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("tokens")).ToContainTextAsync("Active", new() { Timeout = 30_000 });
            Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"), "the page was reloaded");
            cts.Cancel();
        }

        // When the stream ends the agent is "Not connected" (it connected before), still without a reload.
        await Assertions.Expect(page.GetByTestId("agent-status")).ToHaveTextAsync("Not connected", Wait);
        await Assertions.Expect(page.GetByTestId("activity")).ToContainTextAsync("agent_disconnected", new() { Timeout = 30_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"), "the page was reloaded");
    }

    [Fact]
    public async Task Overview_lists_agents_created_after_the_page_was_opened()
    {
        var page = await SignInAsync("/-/ui/", _maintainer);
        await Assertions.Expect(page.GetByTestId("agents-empty")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("current-user")).ToHaveTextAsync("maintainer");

        await _host.GraphqlAsync(_maintainer, "mutation { createClusterAgent(input: {projectPath: \"group/project\", name: \"late-agent\"}) { errors } }");

        await Assertions.Expect(page.GetByTestId("agent-link")).ToHaveTextAsync("late-agent", Wait);
        await page.GetByTestId("agent-link").ClickAsync();
        await Assertions.Expect(page.GetByTestId("agent-name")).ToHaveTextAsync("late-agent");
    }

    [Fact]
    public async Task Sign_in_rejects_bad_tokens_and_hides_projects_without_access()
    {
        var page = await _context.NewPageAsync();
        await page.GotoAsync("/-/ui/");
        await page.GetByTestId("token-input").FillAsync("glpat-not-a-token");
        await page.GetByTestId("sign-in").ClickAsync();
        await Assertions.Expect(page.GetByTestId("login-error")).ToContainTextAsync("Invalid token");

        await _host.GraphqlAsync(_maintainer, "mutation { createClusterAgent(input: {projectPath: \"group/project\", name: \"secret-agent\"}) { errors } }");
        var outsider = await _host.CreateUserAsync("outsider", MembershipTarget.Group("other"), AccessLevel.Owner);
        await page.GetByTestId("token-input").FillAsync(outsider);
        await page.GetByTestId("sign-in").ClickAsync();
        await Assertions.Expect(page.GetByTestId("agents-empty")).ToBeVisibleAsync();
        var agent = Assert.Single(await _host.Registry.ListAgentsAsync("group/project"));
        var response = await page.GotoAsync("/-/ui/agents/" + agent.Id);
        Assert.Equal(404, response!.Status);
    }
}
