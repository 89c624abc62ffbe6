using Gitlab.Agent.Cilium;
using Gitlab.Agent.GitOps;
using Gitlab.Agent.GitOps.Server;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.Management.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Gitlab.Agent.Management.Tests.Ui;

public sealed class FeatureSectionsTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task GitOps_sync_state_and_cilium_alerts_appear_live_when_those_features_are_registered()
    {
        await using var host = await ManagementTestHost.StartAsync((kas, dir) =>
        {
            kas.AddGitOps();
            kas.AddCilium(o => o.DatabasePath = dir.Combine("cilium.db"));
        }, o => o.UiRefreshInterval = TimeSpan.FromMilliseconds(500));
        var token = await host.CreateUserAsync("dev", MembershipTarget.Project("group/project"), AccessLevel.Developer);
        var agent = await host.Registry.CreateAgentAsync("group/project", "agent1");
        await using var context = await browser.Browser.NewContextAsync(new() { BaseURL = host.ApiAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/-/ui/agents/" + agent.Id);
        await page.GetByTestId("token-input").FillAsync(token);
        await page.GetByTestId("sign-in").ClickAsync();
        await Assertions.Expect(page.GetByTestId("gitops-empty")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("alerts-empty")).ToBeVisibleAsync();

        await host.App.Services.GetRequiredService<IGitOpsSyncStateStore>().SetAsync(new GitOpsSyncState
        {
            AgentId = agent.Id,
            ProjectId = "group/project",
            CommitId = "0123456789abcdef",
            Status = GitOpsSyncStatus.Synced,
            SyncedAt = DateTimeOffset.UtcNow,
            Objects =
            [
                new GitOpsObjectState { ResourceKey = "apps/Deployment/demo/nginx", Result = GitOpsObjectResult.Applied, Ready = true },
                new GitOpsObjectState { ResourceKey = "/Namespace//demo", Result = GitOpsObjectResult.Unchanged, Ready = true },
                new GitOpsObjectState { ResourceKey = "", Source = "deploy/broken.yaml:8", Result = GitOpsObjectResult.Failed, Message = "apiVersion is missing" },
            ],
        });
        await host.App.Services.GetRequiredService<ICiliumAlertStore>().UpsertAsync(new CiliumAlert
        {
            AgentId = agent.Id,
            Fingerprint = new string('a', 40),
            PolicyNamespace = "demo",
            PolicyName = "deny-egress",
            TrafficDirection = "EGRESS",
            Verdict = "DROPPED",
            DropReason = "POLICY_DENIED",
            Source = "demo/nginx-1",
            Destination = "10.0.0.99",
            Count = 7,
            FirstSeen = DateTimeOffset.UtcNow.AddMinutes(-1),
            LastSeen = DateTimeOffset.UtcNow,
        });

        var wait = new LocatorAssertionsToHaveTextOptions { Timeout = 30_000 };
        await Assertions.Expect(page.GetByTestId("gitops-status")).ToHaveTextAsync("Synced", wait);
        await Assertions.Expect(page.GetByTestId("gitops-objects")).ToContainTextAsync("apps/Deployment/demo/nginx", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("gitops-objects")).ToContainTextAsync("deploy/broken.yaml:8", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("alerts")).ToContainTextAsync("demo/deny-egress", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("alerts")).ToContainTextAsync("POLICY_DENIED", new() { Timeout = 30_000 });
    }
}
