using System.Globalization;
using System.Text.Json.Nodes;
using Gitlab.Agent.Cilium;
using Gitlab.Agent.GitOps;
using Gitlab.Agent.GitOps.Server;
using Gitlab.Agent.Kas.Registry;
using Gitlab.Agent.Kas.Users;
using Gitlab.Agent.Management.Services;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gitlab.Agent.Management;

/// <summary>
/// Renders the UI pages' content (server-side HTML) and their state. GitOps sync state and Cilium alerts appear when
/// <see cref="IGitOpsSyncStateStore"/> / <see cref="ICiliumAlertStore"/> are registered.
/// </summary>
internal sealed class UiViews(AgentManagementService management, IServiceProvider services, ILogger<UiViews> logger)
{
    public async Task<UiView> HomeAsync(AuthenticatedUser user, CancellationToken cancellationToken)
    {
        var html = new Html();
        html.Element("h1", "Kubernetes agents");
        html.Raw("<p class=\"muted\">Projects you are at least a Developer of, with their agents.</p>");
        var data = new JsonObject();
        var projects = new JsonArray();
        var rows = new List<(string Project, AgentOverview Overview)>();
        foreach (var project in await management.ListProjectsAsync(user, cancellationToken))
        {
            var agents = await management.Registry.ListAgentsAsync(project.Path, cancellationToken);
            projects.Add(new JsonObject { ["path"] = project.Path, ["agents"] = agents.Count });
            foreach (var agent in agents)
            {
                rows.Add((project.Path, await management.GetOverviewAsync(agent, cancellationToken)));
            }
        }

        data["projects"] = projects;
        data["agents"] = new JsonArray(rows.Select(r => (JsonNode)OverviewJson(r.Overview)).ToArray());
        html.Table(rows, "agents", ["Agent", "Project", "Status", "Last contact", "Version"], (h, r) => h
            .Cell(c => c.Link(UiPaths.Agent(r.Overview.Agent.Id), r.Overview.Agent.Name, "agent-link"))
            .Cell(c => c.Link(UiPaths.Project(r.Project), r.Project))
            .Cell(c => c.Badge(StatusText(r.Overview.Status), "agent-status"))
            .Cell(c => c.Time(r.Overview.LastContact))
            .Cell(c => VersionCell(c, r.Overview)),
            "No agents yet. Register one with the createClusterAgent GraphQL mutation.");
        return new UiView("Kubernetes agents", html.ToString(), data);
    }

    public async Task<UiView?> ProjectAsync(AuthenticatedUser user, string projectPath, CancellationToken cancellationToken)
    {
        if (await management.GetProjectAsync(user, projectPath, cancellationToken) is not { } project)
        {
            return null;
        }

        var overviews = new List<AgentOverview>();
        foreach (var agent in await management.Registry.ListAgentsAsync(project.Path, cancellationToken))
        {
            overviews.Add(await management.GetOverviewAsync(agent, cancellationToken));
        }

        var html = new Html();
        html.Raw("<p class=\"muted\">").Link(UiPaths.Root + "/", "All projects").Raw("</p>");
        html.Element("h1", project.Path, testId: "project-path");
        html.Table(overviews, "agents", ["Agent", "Configuration", "Status", "Last contact", "Version"], (h, o) => h
            .Cell(c => c.Link(UiPaths.Agent(o.Agent.Id), o.Agent.Name, "agent-link"))
            .Cell(c => c.Code(o.ConfigPath))
            .Cell(c => c.Badge(StatusText(o.Status), "agent-status"))
            .Cell(c => c.Time(o.LastContact))
            .Cell(c => VersionCell(c, o)),
            "No agents in this project.");
        var data = new JsonObject
        {
            ["project"] = project.Path,
            ["agents"] = new JsonArray(overviews.Select(o => (JsonNode)OverviewJson(o)).ToArray()),
        };
        return new UiView(project.Path, html.ToString(), data);
    }

    public async Task<UiView?> AgentAsync(AuthenticatedUser user, long agentId, CancellationToken cancellationToken)
    {
        AgentInfo agent;
        try
        {
            agent = await management.GetAgentAsync(user, agentId, AgentManagementService.ReadLevel, cancellationToken);
        }
        catch (ManagementAccessDeniedException)
        {
            return null;
        }

        var overview = await management.GetOverviewAsync(agent, cancellationToken);
        var registry = management.Registry;
        var tokens = await registry.ListTokensAsync(agent.Id, cancellationToken);
        var activity = await registry.ListActivityAsync(agent.Id, 50, cancellationToken);
        var tokenNames = tokens.ToDictionary(t => t.Id, t => t.Name);

        var html = new Html();
        html.Raw("<p class=\"muted\">").Link(UiPaths.Project(agent.ProjectPath), agent.ProjectPath).Raw("</p>");
        html.Element("h1", agent.Name, testId: "agent-name");
        html.Raw("<dl class=\"facts\">");
        html.Element("dt", "Status").Raw("<dd>").Badge(StatusText(overview.Status), "agent-status").Raw("</dd>");
        html.Element("dt", "Agent ID").Element("dd", agent.Id.ToString(CultureInfo.InvariantCulture), testId: "agent-id");
        html.Element("dt", "Configuration").Raw("<dd>").Code(overview.ConfigPath).Raw(" in ").Text(agent.ProjectPath).Raw("</dd>");
        html.Element("dt", "Last contact").Raw("<dd data-testid=\"last-contact\">").Time(overview.LastContact).Raw("</dd>");
        html.Element("dt", "agentk version").Raw("<dd data-testid=\"agent-version\">");
        VersionCell(html, overview);
        html.Raw("</dd>");
        html.Element("dt", "KAS version").Element("dd", management.KasVersion);
        html.Element("dt", "Configuration commit").Raw("<dd>").Code(agent.LastConfigurationCommit ?? "none sent yet").Raw("</dd>");
        html.Raw("</dl>");
        if (overview.VersionMismatch)
        {
            html.Element("div",
                $"agentk version {overview.Version} does not match KAS version {management.KasVersion}: upgrade agentk to the KAS version.",
                "warning", "version-warning");
        }

        if (agent.LastConfigurationError is { } configError)
        {
            html.Element("div", $"The configuration at commit {agent.LastConfigurationErrorCommit} is invalid; the agent keeps its last valid configuration.\n{configError}",
                "error", "config-error");
        }

        html.Element("h2", "Connections");
        html.Table(overview.LiveConnections, "connections", ["Pod", "Version", "Commit", "Connected", "Last seen"], (h, c) => h
            .Cell(string.IsNullOrEmpty(c.PodName) ? "(unknown pod)" : $"{c.PodNamespace}/{c.PodName}")
            .Cell(c.Version)
            .Cell(x => x.Code(c.CommitId))
            .Cell(x => x.Time(c.ConnectedAt))
            .Cell(x => x.Time(c.LastSeenAt)),
            "No live connections.");

        var syncStates = await GitOpsAsync(agent.Id, cancellationToken);
        if (syncStates is not null)
        {
            html.Element("h2", "GitOps");
            RenderGitOps(html, syncStates);
        }

        var alerts = await AlertsAsync(agent.Id, cancellationToken);
        if (alerts is not null)
        {
            html.Element("h2", "Network policy alerts (Cilium)");
            html.Table(alerts, "alerts", ["Policy", "Direction", "Source → destination", "Reason", "Flows", "Last seen"], (h, a) => h
                .Cell($"{a.PolicyNamespace}/{a.PolicyName}")
                .Cell(a.TrafficDirection)
                .Cell($"{a.Source} → {a.Destination}")
                .Cell(string.IsNullOrEmpty(a.DropReason) ? a.Verdict : a.DropReason)
                .Cell(a.Count.ToString(CultureInfo.InvariantCulture))
                .Cell(x => x.Time(a.LastSeen)),
                "No alerts.");
        }

        html.Element("h2", "Access tokens");
        html.Table(tokens, "tokens", ["Name", "Description", "Status", "Created", "Last used", "Revoked"], (h, t) => h
            .Cell(t.Name)
            .Cell(t.Description)
            .Cell(x => x.Badge(t.IsActive ? "Active" : "Revoked", "token-status"))
            .Cell(x => x.Time(t.CreatedAt))
            .Cell(x => x.Time(t.LastUsedAt))
            .Cell(x => { if (t.RevokedAt is { } r) { x.Time(r); } }),
            "No tokens. Create one with the clusterAgentTokenCreate GraphQL mutation.");

        html.Element("h2", "Activity");
        html.Table(activity, "activity", ["Event", "Details", "When"], (h, e) => h
            .Cell(ActivityKinds.Name(e.Kind))
            .Cell(e.TokenId is { } id ? tokenNames.GetValueOrDefault(id, $"token {id}") : e.ConnectionId is { } cid ? $"connection {cid}" : null)
            .Cell(x => x.Time(e.OccurredAt)),
            "No activity yet.");

        var data = OverviewJson(overview);
        data["tokens"] = new JsonArray(tokens.Select(t => (JsonNode)new JsonObject
        {
            ["id"] = t.Id,
            ["name"] = t.Name,
            ["status"] = t.IsActive ? "active" : "revoked",
        }).ToArray());
        data["activity"] = new JsonArray(activity.Select(e => (JsonNode)ActivityKinds.Name(e.Kind)).ToArray());
        if (syncStates is not null)
        {
            data["gitops"] = new JsonArray(syncStates.Select(s => (JsonNode)new JsonObject
            {
                ["project"] = s.ProjectId,
                ["commit"] = s.CommitId,
                ["status"] = s.Status.ToString(),
                ["objects"] = s.Objects.Count,
            }).ToArray());
        }

        if (alerts is not null)
        {
            data["alerts"] = alerts.Count;
        }

        return new UiView(agent.Name, html.ToString(), data);
    }

    private static void RenderGitOps(Html html, IReadOnlyList<GitOpsSyncState> states)
    {
        if (states.Count == 0)
        {
            html.Element("p", "No synchronization reported yet.", "muted", "gitops-empty");
            return;
        }

        foreach (var state in states)
        {
            html.Raw("<h3>").Text(state.ProjectId).Raw(" ").Badge(state.Status.ToString(), "gitops-status").Raw("</h3>");
            html.Raw("<p class=\"muted\">Commit ").Code(state.CommitId).Raw(", synced ").Time(state.SyncedAt).Raw("</p>");
            if (!string.IsNullOrEmpty(state.Message))
            {
                html.Element("div", state.Message, state.Status == GitOpsSyncStatus.Failed ? "error" : "warning");
            }

            html.Table(state.Objects, "gitops-objects", ["Object", "Result", "Ready", "Message"], (h, o) => h
                .Cell(x => x.Code(o.ResourceKey.Length > 0 ? o.ResourceKey : o.Source ?? "(file)")) // a file that did not decode has no object
                .Cell(x => x.Badge(o.Result.ToString()))
                .Cell(o.Ready switch { true => "ready", false => o.ReadinessMessage ?? "not ready", null => "-" })
                .Cell(o.Message),
                "No objects.");
        }
    }

    private async Task<IReadOnlyList<GitOpsSyncState>?> GitOpsAsync(long agentId, CancellationToken cancellationToken)
    {
        if (services.GetService<IGitOpsSyncStateStore>() is not { } store)
        {
            return null;
        }

        try
        {
            return await store.GetAsync(agentId, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ManagementLog.OptionalStoreFailed(logger, ex, nameof(IGitOpsSyncStateStore), agentId);
            return [];
        }
    }

    private async Task<IReadOnlyList<CiliumAlert>?> AlertsAsync(long agentId, CancellationToken cancellationToken)
    {
        if (services.GetService<ICiliumAlertStore>() is not { } store)
        {
            return null;
        }

        try
        {
            return await store.ListAsync(agentId, 100, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ManagementLog.OptionalStoreFailed(logger, ex, nameof(ICiliumAlertStore), agentId);
            return [];
        }
    }

    private void VersionCell(Html html, AgentOverview overview)
    {
        if (overview.Version is null)
        {
            html.Element("span", "unknown", "muted");
            return;
        }

        html.Text(overview.Version);
        if (overview.VersionMismatch)
        {
            html.Raw(" ").Element("span", $"⚠ differs from KAS {management.KasVersion}", "badge failed", "version-mismatch");
        }
    }

    internal static string StatusText(AgentConnectionStatus status) => status switch
    {
        AgentConnectionStatus.Connected => "Connected",
        AgentConnectionStatus.NotConnected => "Not connected",
        _ => "Never connected",
    };

    private static JsonObject OverviewJson(AgentOverview o) => new()
    {
        ["id"] = o.Agent.Id,
        ["name"] = o.Agent.Name,
        ["project"] = o.Agent.ProjectPath,
        ["configPath"] = o.ConfigPath,
        ["status"] = StatusText(o.Status),
        ["lastContact"] = o.LastContact is { } t ? Graphql.TimeGraphType.Format(t) : null,
        ["version"] = o.Version,
        ["versionMismatch"] = o.VersionMismatch,
        ["connections"] = o.LiveConnections.Count,
    };
}
